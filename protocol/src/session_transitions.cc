// How a decoded frame enters a session: which message a session may receive, by role and state
// (the protocol's transitions as data, h11's rule), and the handler an allowed frame goes to.
// Session::handle_frame consults the table once per frame, before any handler runs; a frame it
// does not allow closes the session with UnexpectedMessage and the message's name. The handlers,
// and with them every state change, are in session.cc; the states are session.h's chart.
//
// A row reads {message, the role that receives it, the states it is allowed in}. Notes:
//  - Goaway and Error are allowed in every state until Closed; a closed session reads nothing.
//  - A Challenge only reaches a client that chose Hmac: with a token or a certificate, a hello
//    is answered by the Welcome (or an Error) directly.
//  - The table keeps to role, state and method: an Hmac client's Welcome in HelloSent passes it,
//    and on_welcome() refuses it ("welcome before auth") next to the proof it checks.
//  - NONE never gets here (BodyDecoder refuses a frame without a message); a type above Error
//    (a newer peer's message) is refused like any message not allowed.
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "kite/protocol/session.h"

namespace kite::protocol {
namespace {

using State = Session::State;
using wire::Message;

using StateSet = std::uint16_t;  // one bit per State

constexpr StateSet bit(State state) {
  return static_cast<StateSet>(1u << static_cast<unsigned>(state));
}

template <typename... States>
constexpr StateSet in(States... states) {
  return (StateSet{0} | ... | bit(states));
}

constexpr StateSet kUntilClosed =
    in(State::Idle, State::HelloSent, State::AuthSent, State::AwaitHello, State::Deciding,
       State::AwaitAuth, State::Open);
constexpr StateSet kOpen = in(State::Open);

enum class Receiver : std::uint8_t { None, Client, Server, Both };

struct Transition {
  Message message;
  Receiver receiver;
  StateSet states;
  bool hmac_only = false;  // only in a session whose device authenticates with Hmac
};

// Indexed by message type: each row sits at its Message value (checked below).
constexpr Transition kTransitions[] = {
    {Message::NONE, Receiver::None, 0},
    {Message::Hello, Receiver::Server, in(State::AwaitHello)},
    {Message::Challenge, Receiver::Client, in(State::HelloSent), /*hmac_only=*/true},
    {Message::Auth, Receiver::Server, in(State::AwaitAuth)},
    {Message::Welcome, Receiver::Client, in(State::HelloSent, State::AuthSent)},
    {Message::Publish, Receiver::Both, kOpen},
    {Message::Ack, Receiver::Both, kOpen},
    {Message::Credit, Receiver::Both, kOpen},
    {Message::Ping, Receiver::Both, kOpen},
    {Message::Pong, Receiver::Both, kOpen},
    {Message::Command, Receiver::Client, kOpen},
    {Message::Reply, Receiver::Server, kOpen},
    {Message::Subscribe, Receiver::Both, kOpen},
    {Message::Unsubscribe, Receiver::Both, kOpen},
    {Message::Goaway, Receiver::Client, kUntilClosed},
    {Message::Error, Receiver::Both, kUntilClosed},
};

constexpr bool each_row_at_its_message() {
  for (std::size_t i = 0; i < std::size(kTransitions); ++i)
    if (static_cast<std::size_t>(kTransitions[i].message) != i) return false;
  return std::size(kTransitions) == static_cast<std::size_t>(Message::MAX) + 1;
}
static_assert(each_row_at_its_message(), "one row per message type, in the schema's order");

bool receives(Receiver receiver, Role role) {
  switch (receiver) {
    case Receiver::None:
      return false;
    case Receiver::Client:
      return role == Role::Client;
    case Receiver::Server:
      return role == Role::Server;
    case Receiver::Both:
      return true;
  }
  return false;
}

}  // namespace

bool Session::may_receive(Role role, State state, AuthMethod method, wire::Message message) {
  const auto index = static_cast<std::size_t>(message);
  if (index >= std::size(kTransitions)) return false;
  const Transition& row = kTransitions[index];
  return receives(row.receiver, role) && (row.states & bit(state)) != 0 &&
         (!row.hmac_only || method == AuthMethod::Hmac);
}

void Session::handle_frame(const wire::Frame& frame, Millis now) {
  const Message type = frame.message_type();
  if (!may_receive(role_, state_, method_, type))
    return fail(Reason::UnexpectedMessage, wire::EnumNameMessage(type));
  dispatch(frame, now);
}

void Session::dispatch(const wire::Frame& f, Millis now) {
  switch (f.message_type()) {
    case Message::Hello:
      return on_hello(*f.message_as_Hello());
    case Message::Challenge:
      return on_challenge(*f.message_as_Challenge(), now);
    case Message::Auth:
      return on_auth(*f.message_as_Auth());
    case Message::Welcome:
      return on_welcome(*f.message_as_Welcome(), now);
    case Message::Publish:
      return on_publish(*f.message_as_Publish(), now);
    case Message::Ack:
      return on_ack(*f.message_as_Ack());
    case Message::Credit:
      return on_credit(*f.message_as_Credit());
    case Message::Ping:
      return on_ping(*f.message_as_Ping(), now);
    case Message::Pong:
      return on_pong(*f.message_as_Pong(), now);
    case Message::Command:
      return on_command(*f.message_as_Command());
    case Message::Reply:
      return on_reply(*f.message_as_Reply());
    case Message::Subscribe:
      return on_group_request(f.message_as_Subscribe()->request_id(), true,
                              f.message_as_Subscribe()->groups());
    case Message::Unsubscribe:
      return on_group_request(f.message_as_Unsubscribe()->request_id(), false,
                              f.message_as_Unsubscribe()->groups());
    case Message::Goaway:
      return on_goaway(*f.message_as_Goaway());
    case Message::Error:
      return on_error_frame(*f.message_as_Error());
    case Message::NONE:
      return;  // the table allows no frame without a message
  }
}

}  // namespace kite::protocol
