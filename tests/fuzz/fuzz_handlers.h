// The session handlers of fuzz_server_session and fuzz_client_session. make_seeds records real
// conversations between the same two handlers, so that a recorded stream replayed into a target
// meets the same reactions (the same publishes, seqs and credit) and goes deep.
//
// Both handlers take the option byte of the input (see the targets' comments), publish on their
// own, acknowledge what they receive, and check that nothing comes after on_close() and that a
// new publish is never refused as out of order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.h"

namespace kite::fuzz {

using protocol::Millis;
using protocol::Session;

// A new publish takes the next seq: it may wait for credit or be too large, never be out of order
// (whatever seqs the peer announced in the handshake).
inline void check_publish(Session& session, const protocol::OutgoingMessage& message, Millis now) {
  std::uint64_t seq = 0;
  protocol::SendStatus status = session.publish(message, now, &seq);
  KITE_FUZZ_CHECK(status != protocol::SendStatus::OutOfOrder);
  // QoS 1 takes the next seq; QoS 0 takes none (it carries the last one sent).
  if (status == protocol::SendStatus::Sent && message.qos == protocol::Qos::AtLeastOnce)
    KITE_FUZZ_CHECK(seq + 1 == session.next_seq());
  if (status == protocol::SendStatus::Sent && message.qos == protocol::Qos::AtMostOnce)
    KITE_FUZZ_CHECK(seq < session.next_seq());
}

// What both fuzz handlers share: the clock, the close bookkeeping, and the rule that nothing
// arrives after on_close.
class CheckingHandler : public protocol::SessionHandler {
 public:
  explicit CheckingHandler(std::uint8_t options) : options_(options) {}

  void attach(Session* session) { session_ = session; }
  Millis now = kStartTime;
  bool closed = false;
  protocol::Reason close_reason = protocol::Reason::None;
  std::uint64_t delivered = 0;

  void on_error(protocol::Reason, std::uint64_t ref, std::string_view) override {
    alive();
    KITE_FUZZ_CHECK(ref != 0);
  }
  void on_close(const protocol::CloseInfo& info) override {
    alive();
    closed = true;
    close_reason = info.reason;
  }

 protected:
  void alive() const { KITE_FUZZ_CHECK(!closed); }

  // QoS 1 messages arrive with increasing seqs; QoS 0 takes no seq and is acknowledged as the
  // one it arrived after.
  void record_delivery(const protocol::IncomingMessage& message) {
    if (message.qos == protocol::Qos::AtLeastOnce)
      KITE_FUZZ_CHECK(message.seq > delivered);
    else
      KITE_FUZZ_CHECK(message.seq == session_->last_received_seq());
    delivered = std::max(delivered, message.seq);
  }

  std::uint8_t options_;
  Session* session_ = nullptr;
};

class ServerHandler final : public CheckingHandler {
 public:
  using CheckingHandler::CheckingHandler;

  void on_hello(const protocol::HelloInfo& hello) override {
    alive();
    switch (hello.method) {
      case protocol::AuthMethod::Hmac:
        session_->challenge(kDeviceKey, kServerNonce);
        break;
      case protocol::AuthMethod::Tls:
        if ((options_ & 2) == 0) {
          session_->reject(protocol::Reason::AuthFailed, "no client certificate");
          break;
        }
        [[fallthrough]];
      default:
        accept();
        break;
    }
  }

  void on_authenticated(std::string_view device_id) override {
    alive();
    KITE_FUZZ_CHECK(device_id == session_->device_id());
    accept();
  }

  void on_open(const protocol::OpenInfo& info) override {
    alive();
    KITE_FUZZ_CHECK(session_->is_open());
    KITE_FUZZ_CHECK(info.dictionary == 0 || info.dictionary == kDictionaryId);
    publish({});
  }

  void on_message(const protocol::IncomingMessage& message) override {
    alive();
    record_delivery(message);
    ++messages_;
    if (message.topic.starts_with("bye")) return session_->close(protocol::Reason::NormalClose);
    if (message.topic.starts_with("kick")) {
      session_->goaway(protocol::Reason::Kicked, 1000, "kicked");
      return;
    }
    if (options_ & 1) session_->acknowledge(message.seq, now);
    publish(messages_ % 2 == 0 ? message.payload : std::span<const std::uint8_t>());
    if ((options_ & 0x80) && messages_ % 2 == 1) {
      protocol::CommandInfo command{messages_, "reboot", message.payload, 5000};
      session_->send_command(command, now);
    }
  }

  void on_acked(std::uint64_t seq) override {
    alive();
    KITE_FUZZ_CHECK(seq <= session_->acked_through());
  }
  void on_writable() override {
    alive();
    publish({});
  }
  void on_command(const protocol::CommandInfo&) override { std::abort(); }  // client only
  void on_reply(const protocol::ReplyInfo&) override { alive(); }

  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override {
    alive();
    std::vector<std::string> names(groups.begin(), groups.end());
    session_->confirm_subscribe(request_id, join, names, now);
  }

 private:
  void accept() {
    protocol::WelcomeParams welcome;
    if (options_ & 4) {
      welcome.resumed = true;
      welcome.resume_token = {1, 2, 3, 4};
      welcome.store_epoch = 7;
      welcome.last_received_seq = 3;
      welcome.next_seq = 5;
    }
    welcome.groups = {"fleet", "room-1"};
    session_->accept(welcome, now);
  }

  // Sends a publish of the size the options choose, or `echo` when there is one.
  void publish(std::span<const std::uint8_t> echo) {
    if (publishes_ >= kMaxPublishes) return;
    ++publishes_;
    const auto& payload = make_payload(kPayloadSizes[(options_ >> 4) & 7], 'S');
    protocol::OutgoingMessage message;
    message.payload = echo.empty() ? std::span<const std::uint8_t>(payload) : echo;
    message.qos = publishes_ % 3 == 0 ? protocol::Qos::AtMostOnce : protocol::Qos::AtLeastOnce;
    message.topic = "telemetry/temperature";
    message.content_type = "application/json";
    message.conflation_key = publishes_ % 2 == 0 ? "state" : "";
    message.ttl_ms = 60'000;
    check_publish(*session_, message, now);
  }

  static constexpr unsigned kMaxPublishes = 12;
  std::uint64_t messages_ = 0;
  unsigned publishes_ = 0;
};

class ClientHandler final : public CheckingHandler {
 public:
  using CheckingHandler::CheckingHandler;

  void on_hello(const protocol::HelloInfo&) override { std::abort(); }  // server only
  void on_authenticated(std::string_view) override { std::abort(); }    // server only

  void on_open(const protocol::OpenInfo& info) override {
    alive();
    KITE_FUZZ_CHECK(session_->is_open());
    KITE_FUZZ_CHECK(info.dictionary == 0 || info.dictionary == kDictionaryId);
    delivered = session_->last_received_seq();
    if (options_ & 0x80) {
      std::vector<std::string> groups = {"fleet", "room-1"};
      session_->subscribe(1, true, groups, now);
      session_->subscribe(2, false, std::span(groups).first(1), now);
    }
    publish();
  }

  void on_message(const protocol::IncomingMessage& message) override {
    alive();
    record_delivery(message);
    if (message.topic.starts_with("bye")) return session_->close(protocol::Reason::NormalClose);
    if (options_ & 1) session_->acknowledge(message.seq, now);
    publish();
  }

  void on_acked(std::uint64_t seq) override {
    alive();
    KITE_FUZZ_CHECK(seq <= session_->acked_through());
  }
  void on_writable() override {
    alive();
    publish();
  }

  void on_command(const protocol::CommandInfo& command) override {
    alive();
    if ((options_ & 8) == 0) return;
    protocol::ReplyInfo reply{command.id, 0, command.payload};
    session_->reply(reply, now);
  }

  void on_reply(const protocol::ReplyInfo&) override { std::abort(); }  // server only
  void on_subscribe(std::uint64_t, bool, std::span<const std::string_view> groups) override {
    alive();
    KITE_FUZZ_CHECK(groups.size() <= kite::protocol::limits::kGroupsPerRequest);
  }

 private:
  void publish() {
    if (publishes_ >= kMaxPublishes) return;
    ++publishes_;
    const auto& payload = make_payload(kPayloadSizes[(options_ >> 4) & 7], 'C');
    protocol::OutgoingMessage message;
    message.payload = payload;
    message.qos = publishes_ % 3 == 0 ? protocol::Qos::AtMostOnce : protocol::Qos::AtLeastOnce;
    message.topic = "telemetry/temperature";
    message.content_type = "application/json";
    message.message_id = publishes_ % 2 == 0 ? "m-1" : "";
    check_publish(*session_, message, now);
  }

  static constexpr unsigned kMaxPublishes = 12;
  unsigned publishes_ = 0;
};

// The fixed credentials; the token is never checked by a client, only carried.
inline protocol::ClientCredentials credentials(bool token) {
  protocol::ClientCredentials c;
  c.device_id = std::string(kDeviceId);
  c.method = token ? protocol::AuthMethod::Token : protocol::AuthMethod::Hmac;
  c.key = kDeviceKey;
  c.nonce = kClientNonce;
  c.token = "kite1.fuzz.token";
  c.agent = "kite-fuzz/1";
  return c;
}

inline protocol::ResumeRequest resume_request(bool resume) {
  protocol::ResumeRequest r;
  if (!resume) return r;
  r.token = {1, 2, 3, 4};
  r.last_received_seq = 3;
  r.store_epoch = 7;
  r.next_seq = 5;
  return r;
}

// Feeds `stream` to `session` cut and timed as `prefix` says, with tick() before each chunk and
// receive_end() at the end; every output is checked against the peer's limit, and the handler's
// idea of "closed" must match the session's at every step. Ends closed, always.
template <typename Handler>
void drive(Session& session, Handler& handler, const Prefix& prefix,
           std::span<const std::uint8_t> stream) {
  OutputChecker checker;
  std::vector<std::uint8_t> output;
  auto drain = [&] {
    session.take_output(output);
    checker.check(output, session.peer_max_frame());
    KITE_FUZZ_CHECK(handler.closed == (session.state() == Session::State::Closed));
  };
  drain();  // whatever the caller started (a client's hello)
  Chunker chunker(prefix, stream);
  while (!chunker.done()) {
    handler.now += chunker.time_step();
    session.tick(handler.now);
    drain();  // before receive(): a hello may change the limit the output is checked against
    session.receive(chunker.next(), handler.now);
    KITE_FUZZ_CHECK(handler.closed == (session.state() == Session::State::Closed));
    if ((prefix.options & 1) == 0) session.acknowledge(handler.delivered, handler.now);
    drain();
  }
  session.tick(handler.now + 25);  // due acks and pings
  drain();
  session.receive_end(handler.now + 25);
  drain();
  KITE_FUZZ_CHECK(handler.closed);
}

}  // namespace kite::fuzz
