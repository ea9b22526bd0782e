// The transition table (session_transitions.cc): which message a session accepts in which role,
// state and auth method. First the table alone against the guards it replaced, for every
// combination; then real sessions driven into each state they can reach and fed one frame of
// every message type: what the guards refused closes the session with UnexpectedMessage and the
// message's name (as before the table), and what they allowed gets past it.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "session_pair.h"

using namespace kite::protocol;
using namespace kite::test;
namespace wire = kite::wire;

namespace {

using State = Session::State;
using wire::Message;

constexpr State kStates[] = {State::Idle,     State::HelloSent, State::AuthSent, State::AwaitHello,
                             State::Deciding, State::AwaitAuth, State::Open,     State::Closed};
constexpr AuthMethod kMethods[] = {AuthMethod::Hmac, AuthMethod::Token, AuthMethod::Tls};
constexpr Role kRoles[] = {Role::Client, Role::Server};

// The guards of the switch the table replaced (handle_frame before it became data), for a
// session that is not closed, written out again as the reference.
bool guards_allowed(Role role, State state, AuthMethod method, Message message) {
  const bool client = role == Role::Client;
  const bool open = state == State::Open;
  switch (message) {
    case Message::Hello:
      return !client && state == State::AwaitHello;
    case Message::Challenge:
      return client && state == State::HelloSent && method == AuthMethod::Hmac;
    case Message::Auth:
      return !client && state == State::AwaitAuth;
    case Message::Welcome:
      return client && (state == State::HelloSent || state == State::AuthSent);
    case Message::Goaway:
      return client;
    case Message::Error:
      return true;
    case Message::Publish:
    case Message::Ack:
    case Message::Credit:
    case Message::Ping:
    case Message::Pong:
    case Message::Subscribe:
    case Message::Unsubscribe:
      return open;
    case Message::Command:
      return open && client;
    case Message::Reply:
      return open && !client;
    default:
      return false;
  }
}

std::string name_of(Message message) {
  return wire::EnumNameMessage(message);
}

}  // namespace

TEST_CASE("transitions: the table allows exactly what the guards it replaced allowed") {
  int allowed = 0;
  for (Role role : kRoles)
    for (State state : kStates)
      for (AuthMethod method : kMethods)
        for (unsigned type = 0; type <= 255; ++type) {
          const auto message = static_cast<Message>(type);
          CAPTURE(role);
          CAPTURE(static_cast<int>(state));
          CAPTURE(method);
          CAPTURE(type);
          // A closed session reads nothing (receive() stops first): the table allows it nothing.
          const bool expected =
              state != State::Closed && guards_allowed(role, state, method, message);
          CHECK(Session::may_receive(role, state, method, message) == expected);
          if (expected) ++allowed;
        }
  CHECK(allowed > 0);
}

TEST_CASE("transitions: rows read as the protocol describes them") {
  // The handshake, one message per state.
  CHECK(Session::may_receive(Role::Server, State::AwaitHello, AuthMethod::Hmac, Message::Hello));
  CHECK_FALSE(
      Session::may_receive(Role::Server, State::Deciding, AuthMethod::Hmac, Message::Hello));
  CHECK_FALSE(
      Session::may_receive(Role::Client, State::HelloSent, AuthMethod::Hmac, Message::Hello));
  CHECK(Session::may_receive(Role::Client, State::HelloSent, AuthMethod::Hmac, Message::Challenge));
  CHECK_FALSE(
      Session::may_receive(Role::Client, State::HelloSent, AuthMethod::Token, Message::Challenge));
  CHECK_FALSE(
      Session::may_receive(Role::Client, State::HelloSent, AuthMethod::Tls, Message::Challenge));
  CHECK(Session::may_receive(Role::Server, State::AwaitAuth, AuthMethod::Hmac, Message::Auth));
  CHECK(Session::may_receive(Role::Client, State::HelloSent, AuthMethod::Token, Message::Welcome));
  CHECK(Session::may_receive(Role::Client, State::AuthSent, AuthMethod::Hmac, Message::Welcome));
  // Open: both ways, except the command (to the device) and its reply (to the server).
  for (Role role : kRoles) {
    CAPTURE(role);
    CHECK(Session::may_receive(role, State::Open, AuthMethod::Hmac, Message::Publish));
    CHECK(Session::may_receive(role, State::Open, AuthMethod::Hmac, Message::Subscribe));
    CHECK_FALSE(Session::may_receive(role, State::Deciding, AuthMethod::Hmac, Message::Publish));
  }
  CHECK(Session::may_receive(Role::Client, State::Open, AuthMethod::Hmac, Message::Command));
  CHECK_FALSE(Session::may_receive(Role::Server, State::Open, AuthMethod::Hmac, Message::Command));
  CHECK(Session::may_receive(Role::Server, State::Open, AuthMethod::Hmac, Message::Reply));
  CHECK_FALSE(Session::may_receive(Role::Client, State::Open, AuthMethod::Hmac, Message::Reply));
  // The end: Error either way at any time, Goaway only to a client; nothing once closed.
  CHECK(Session::may_receive(Role::Client, State::Idle, AuthMethod::Hmac, Message::Goaway));
  CHECK_FALSE(Session::may_receive(Role::Server, State::Open, AuthMethod::Hmac, Message::Goaway));
  CHECK(Session::may_receive(Role::Server, State::AwaitHello, AuthMethod::Hmac, Message::Error));
  CHECK_FALSE(Session::may_receive(Role::Client, State::Closed, AuthMethod::Hmac, Message::Error));
  // No message, and a newer peer's message type, are never allowed.
  CHECK_FALSE(Session::may_receive(Role::Client, State::Open, AuthMethod::Hmac, Message::NONE));
  CHECK_FALSE(
      Session::may_receive(Role::Client, State::Open, AuthMethod::Hmac, static_cast<Message>(16)));
}

namespace {

// A minimal frame of each message type (default fields): enough to pass the table or not.
Bytes frame_of(Message type) {
  FrameEncoder encoder;
  auto& b = encoder.start();
  Bytes out;
  switch (type) {
    case Message::Hello:
      encoder.finish(wire::CreateHello(b), out);
      break;
    case Message::Challenge:
      encoder.finish(wire::CreateChallenge(b), out);
      break;
    case Message::Auth:
      encoder.finish(wire::CreateAuth(b), out);
      break;
    case Message::Welcome:
      encoder.finish(wire::CreateWelcome(b), out);
      break;
    case Message::Publish:
      encoder.finish(wire::CreatePublish(b), out);
      break;
    case Message::Ack:
      encoder.finish(wire::CreateAck(b), out);
      break;
    case Message::Credit:
      encoder.finish(wire::CreateCredit(b), out);
      break;
    case Message::Ping:
      encoder.finish(wire::CreatePing(b), out);
      break;
    case Message::Pong:
      encoder.finish(wire::CreatePong(b), out);
      break;
    case Message::Command:
      encoder.finish(wire::CreateCommand(b), out);
      break;
    case Message::Reply:
      encoder.finish(wire::CreateReply(b), out);
      break;
    case Message::Subscribe:
      encoder.finish(wire::CreateSubscribe(b), out);
      break;
    case Message::Unsubscribe:
      encoder.finish(wire::CreateUnsubscribe(b), out);
      break;
    case Message::Goaway:
      encoder.finish(wire::CreateGoaway(b), out);
      break;
    case Message::Error:
      encoder.finish(wire::CreateError(b), out);
      break;
    case Message::NONE:
      break;
  }
  return out;
}

// A session pair whose client or server has been driven into `state`.
struct Stage {
  Role role;
  State state;
  AuthMethod method = AuthMethod::Hmac;  // the client's
};

std::unique_ptr<SessionPair> reach(const Stage& stage) {
  auto pair = std::make_unique<SessionPair>();
  pair->credentials.method = stage.method;
  if (stage.method == AuthMethod::Token) pair->credentials.token = "not checked here";
  if (stage.state == State::Open) {
    pair->connect();
    return pair;
  }
  pair->create();
  if (stage.state == State::Idle || stage.state == State::AwaitHello) return pair;
  if (stage.state == State::Deciding) pair->server_events.hello_action = [](const HelloInfo&) {};
  pair->client->start(pair->credentials, pair->resume, pair->now);
  Bytes bytes;
  pair->client->take_output(bytes);
  if (stage.state == State::HelloSent) return pair;
  pair->server->receive(bytes, pair->now);  // the server challenges (Recorder's default)
  if (stage.state == State::Deciding || stage.state == State::AwaitAuth) return pair;
  pair->server->take_output(bytes);
  pair->client->receive(bytes, pair->now);  // the client answers with its proof
  pair->client->discard_output();
  return pair;  // AuthSent
}

}  // namespace

TEST_CASE("transitions: a session refuses each frame the guards refused, with its name") {
  const Stage stages[] = {
      {Role::Client, State::Idle},
      {Role::Client, State::HelloSent},
      {Role::Client, State::HelloSent, AuthMethod::Token},
      {Role::Client, State::HelloSent, AuthMethod::Tls},
      {Role::Client, State::AuthSent},
      {Role::Client, State::Open},
      {Role::Server, State::AwaitHello},
      {Role::Server, State::Deciding},
      {Role::Server, State::AwaitAuth},
      {Role::Server, State::Open},
  };
  for (const Stage& stage : stages) {
    for (unsigned type = 1; type <= static_cast<unsigned>(Message::MAX); ++type) {
      const auto message = static_cast<Message>(type);
      CAPTURE(stage.role);
      CAPTURE(static_cast<int>(stage.state));
      CAPTURE(stage.method);
      CAPTURE(name_of(message));
      auto pair = reach(stage);
      const bool client = stage.role == Role::Client;
      Session& session = client ? *pair->client : *pair->server;
      Recorder& events = client ? pair->client_events : pair->server_events;
      REQUIRE(session.state() == stage.state);
      session.discard_output();

      session.receive(frame_of(message), pair->now);
      const bool refused_by_table = events.closed &&
                                    events.closed->reason == Reason::UnexpectedMessage &&
                                    events.close_message == name_of(message);
      CHECK(refused_by_table != guards_allowed(stage.role, stage.state, stage.method, message));
      if (refused_by_table) {
        CHECK_FALSE(events.closed->by_peer);
        CHECK(session.state() == State::Closed);
        // The peer is told why, unless it never heard from this session (a client not started).
        const std::size_t errors = SessionPair::count(session.output(), Message::Error);
        CHECK(errors == (stage.state == State::Idle ? 0u : 1u));
      }
    }
  }
}

TEST_CASE("transitions: a closed session reads nothing, whatever arrives") {
  for (Role role : kRoles) {
    for (unsigned type = 1; type <= static_cast<unsigned>(Message::MAX); ++type) {
      CAPTURE(role);
      CAPTURE(type);
      SessionPair pair;
      pair.connect();
      Session& session = role == Role::Client ? *pair.client : *pair.server;
      Recorder& events = role == Role::Client ? pair.client_events : pair.server_events;
      session.close(Reason::NormalClose);
      session.discard_output();
      REQUIRE(events.close_calls == 1);
      session.receive(frame_of(static_cast<Message>(type)), pair.now);
      CHECK(events.close_calls == 1);
      CHECK_FALSE(session.has_output());
    }
  }
}

TEST_CASE("transitions: a newer peer's message type is refused as unexpected") {
  SessionPair pair;
  pair.connect();
  // A Frame whose union type is one past Error, carrying a Ping table: it verifies (FlatBuffers
  // accepts unknown union members), so only the table can refuse it.
  flatbuffers::FlatBufferBuilder b;
  const auto ping = wire::CreatePing(b, 1);
  b.Finish(wire::CreateFrame(b, static_cast<Message>(16), ping.Union()));
  Bytes bytes;
  append_raw_frame({static_cast<std::uint32_t>(b.GetSize()), 0, 0},
                   {b.GetBufferPointer(), b.GetSize()}, bytes);
  pair.client->receive(bytes, pair.now);
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::UnexpectedMessage);
  CHECK(pair.client_events.close_message.empty());  // EnumNameMessage has no name for it
}
