// One Kite session, either role: the handshake, sequence numbers, acks, credit, resume, keep-alive
// and the orderly end of a connection. Everything that changes a session's state is in this class
// (session.cc); the windows and the keep-alive are plain bookkeeping it owns, and each message's
// field rules and building are pure functions in its body file (src/*_body.h).
//
// It performs no I/O, reads no clock and starts no thread. The caller:
//   - passes received bytes to receive(), and the time to every call that needs it;
//   - sends whatever take_output() returns after each call (one buffer: natural coalescing);
//   - calls tick() at next_deadline();
//   - reacts to SessionHandler events, on_close() last.
//
// States (client):  Idle -start-> HelloSent -challenge-> AuthSent -welcome-> Open -> Closed
//                                 HelloSent -welcome (token)-------------->
// States (server):  AwaitHello -hello-> Deciding -challenge()-> AwaitAuth -proof-> Deciding
//                   Deciding -accept()-> Open -> Closed        (reject() or timeout -> Closed)
// A message not allowed in the current state closes the session with UnexpectedMessage; which
// message is allowed where is one table, may_receive() (session_transitions.cc).
//
// A call made for the other role (a client's accept(), a server's subscribe()) is a bug in the
// caller: it does nothing and says so (CallStatus::WrongRole, SendStatus::WrongRole).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"
#include "kite/protocol/keepalive.h"
#include "kite/protocol/limits.h"
#include "kite/protocol/receive_window.h"
#include "kite/protocol/send_window.h"
#include "kite/protocol/session_context.h"
#include "kite/protocol/session_types.h"
#include "kite/protocol/shared_publish.h"

namespace kite::protocol {

struct Refusal;  // src/body_check.h

class Session {
 public:
  enum class State : std::uint8_t {
    Idle,
    HelloSent,
    AuthSent,
    AwaitHello,
    Deciding,
    AwaitAuth,
    Open,
    Closed
  };

  // A session sharing its thread's context (the server: one context per worker loop).
  Session(Role role, SessionContext& context, SessionHandler& handler, Millis now);
  // A stand-alone session with a context of its own (a device, a test).
  Session(Role role, SessionConfig config, SessionHandler& handler, Millis now);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // --- input from the connection -----------------------------------------------------------
  void receive(std::span<const std::uint8_t> bytes, Millis now);
  void receive_end(Millis now);  // the peer closed its side of the stream
  void tick(Millis now);         // deadlines: acks, pings, keep-alive, handshake
  Millis next_deadline() const;

  // --- output to the connection ------------------------------------------------------------
  bool has_output() const { return !output_.empty(); }
  // Swaps the pending bytes into `into` (whose old contents are dropped, its capacity reused).
  void take_output(std::vector<std::uint8_t>& into);
  std::span<const std::uint8_t> output() const { return output_; }
  // Drops the pending bytes (the caller wrote output() itself) and frees their buffer, so that an
  // idle session holds none.
  void discard_output() { std::vector<std::uint8_t>().swap(output_); }

  // --- handshake -----------------------------------------------------------------------------
  // Client: sends the hello. `resume` is what the client kept from its last connection.
  CallStatus start(const ClientCredentials& credentials, const ResumeRequest& resume, Millis now);
  // Server: answers a hello (Hmac method) with a challenge for `key`.
  CallStatus challenge(const DeviceKey& key, const Nonce& server_nonce);
  // Server: opens the session. An Hmac device must have proved its key first: accept() before
  // that closes the session with Internal (no path around the challenge) and returns WrongState.
  CallStatus accept(const WelcomeParams& welcome, Millis now);
  // Server: refuses the device.
  CallStatus reject(Reason reason, std::string_view message = {});

  // --- messages ----------------------------------------------------------------------------
  // Sends a new publish with the next seq (returned through `seq`).
  SendStatus publish(const OutgoingMessage& message, Millis now, std::uint64_t* seq = nullptr);
  // Sends a publish whose seq was assigned earlier (a stored message, or a resend on resume).
  SendStatus publish_stored(std::uint64_t seq, const OutgoingMessage& message, Millis now);
  // Sends a QoS 0 publish encoded once for many sessions (a group send): the same rules and
  // statuses as publish() of a QoS 0 message, without encoding it again.
  SendStatus send_shared(const SharedPublish& publish, Millis now);
  // The app has processed every delivered publish up to `seq` (cumulative).
  void acknowledge(std::uint64_t seq, Millis now);
  // Server, a service's publishes under write-behind: acks wait for confirm_through(), while
  // credit still follows acknowledge() (receive_window.h). Releasing the hold acks the rest.
  void hold_acks(bool hold, Millis now);
  void confirm_through(std::uint64_t seq, Millis now);

  SendStatus send_command(const CommandInfo& command, Millis now);  // server
  SendStatus reply(const ReplyInfo& reply, Millis now);             // client
  // Client: asks to join (or leave) `groups`.
  SendStatus subscribe(std::uint64_t request_id, bool join, std::span<const std::string> groups,
                       Millis now);
  // Server: confirms a subscribe/unsubscribe by echoing it, or refuses it with an error.
  SendStatus confirm_subscribe(std::uint64_t request_id, bool join,
                               std::span<const std::string> groups, Millis now);
  SendStatus send_error(Reason reason, std::uint64_t ref, std::string_view message, Millis now);

  // --- the end -------------------------------------------------------------------------------
  // Server: goaway with a reconnect hint (replaced, shutdown, kicked...), then close.
  CallStatus goaway(Reason reason, std::uint32_t reconnect_after_ms, std::string_view message = {});
  // Closes with `reason`, told to the peer first in an Error frame (NormalClose too: a polite
  // goodbye, so the peer does not take the closed socket for a lost connection). A NormalClose
  // sends the acks still waiting for their delay first.
  void close(Reason reason, std::string_view message = {});

  // --- observers -----------------------------------------------------------------------------
  Role role() const { return role_; }
  State state() const { return state_; }
  bool is_open() const { return state_ == State::Open; }
  const std::string& device_id() const { return device_id_; }
  std::uint32_t send_credit() const { return send_.credit(); }
  std::uint64_t next_seq() const { return send_.next_seq(); }
  std::uint64_t acked_through() const { return send_.acked_through(); }
  std::uint64_t last_received_seq() const { return receive_.last_delivered(); }
  std::uint32_t peer_max_frame() const { return peer_max_frame_; }
  std::uint32_t keepalive_ms() const { return static_cast<std::uint32_t>(keepalive_.interval()); }
  Millis last_rtt() const { return last_rtt_; }
  std::uint16_t dictionary() const { return dictionary_; }
  const FrameDecoder& decoder() const { return decoder_; }
  FrameDecoder& decoder() { return decoder_; }

  // The transition table: whether a session of `role` in `state`, whose device authenticates
  // with `method`, may receive `message` (session_transitions.cc).
  static bool may_receive(Role role, State state, AuthMethod method, wire::Message message);

 private:
  // The public constructors' one body: `owned` is a stand-alone session's context, else `shared`.
  Session(Role role, std::unique_ptr<SessionContext> owned, SessionContext* shared,
          SessionHandler& handler, Millis now);

  // A decoded frame: refused unless the table allows it, else handed to its on_*() by dispatch().
  void handle_frame(const wire::Frame& frame, Millis now);
  void dispatch(const wire::Frame& frame, Millis now);
  void on_hello(const wire::Hello& hello);
  void on_challenge(const wire::Challenge& challenge, Millis now);
  void on_auth(const wire::Auth& auth);
  void on_welcome(const wire::Welcome& welcome, Millis now);
  void on_publish(const wire::Publish& publish, Millis now);
  void on_ack(const wire::Ack& ack);
  void on_credit(const wire::Credit& credit);
  void on_ping(const wire::Ping& ping, Millis now);
  void on_pong(const wire::Pong& pong, Millis now);
  void on_command(const wire::Command& command);
  void on_reply(const wire::Reply& reply);
  // A Subscribe (join) or an Unsubscribe.
  void on_group_request(
      std::uint64_t request_id, bool join,
      const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* groups);
  void on_goaway(const wire::Goaway& goaway);
  void on_error_frame(const wire::Error& error);

  void open(Millis now);
  // Server: the groups the Welcome had no room for, as Subscribe announcements (welcome_body.h).
  void announce_groups(std::span<const std::string> groups, Millis now);
  void flush_acks(Millis now);
  SendStatus send_publish(std::uint64_t seq, const OutgoingMessage& message, Millis now);
  // A Subscribe or Unsubscribe, for subscribe() and confirm_subscribe() once the role is checked
  // and for announce_groups().
  SendStatus send_group_request(std::uint64_t request_id, bool join,
                                std::span<const std::string> groups, Millis now);
  // Appends a frame to the output; emit() also counts it as traffic for the keep-alive.
  template <typename Message>
  std::size_t emit(flatbuffers::Offset<Message> message, Millis now);
  template <typename Message>
  std::size_t emit_frame(flatbuffers::Offset<Message> message);
  void fail(Reason reason, std::string_view message = {});
  void refuse(const Refusal& refusal);  // fail() with what a body check said
  void finish(const CloseInfo& info);

  // Handshake-only state, freed once the session is open (an idle connection keeps none of it).
  struct Handshake {
    Millis deadline;
    DeviceKey key{};
    Nonce client_nonce{};
    Nonce server_nonce{};
    bool proven = false;   // server: the client's proof matched
    ResumeRequest resume;  // client: what it asked to resume
    std::uint64_t peer_last_received = 0;
    std::uint32_t peer_credit = 0;  // server: the client's downlink window from its hello
    std::uint32_t requested_keepalive = 0;
    std::vector<std::uint16_t> peer_dictionaries;
  };
  const SessionConfig& config() const { return context_.config(); }

  Role role_;
  State state_;
  AuthMethod method_ = AuthMethod::Hmac;
  std::uint16_t dictionary_ = 0;  // agreed in the handshake; 0 = none
  std::uint32_t peer_max_frame_ = limits::kHandshakeMaxBody;
  std::int32_t last_rtt_ = -1;
  std::unique_ptr<SessionContext> owned_context_;  // only with the stand-alone constructor
  SessionContext& context_;
  SessionHandler& handler_;
  std::unique_ptr<Handshake> handshake_;

  FrameDecoder decoder_;
  std::vector<std::uint8_t> output_;
  SendWindow send_;
  ReceiveWindow receive_;
  Keepalive keepalive_;
  std::string device_id_;
};

}  // namespace kite::protocol
