// A client and a server Session wired to each other in memory, with handlers that record what
// they see. Time is a plain number the test moves forward.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_helpers.h"
#include "kite/protocol/session.h"
#include "kite/protocol/token.h"

namespace kite::test {

using protocol::Millis;
using protocol::Reason;
using protocol::Session;

inline const std::vector<std::uint8_t> kMasterKey(32, 0x11);
inline const std::vector<std::uint8_t> kTokenKey(32, 0x22);

struct Recorder : protocol::SessionHandler {
  Session* session = nullptr;
  Millis* now = nullptr;
  bool auto_ack = true;  // acknowledge every message as it is delivered

  std::vector<std::uint64_t> delivered;  // seqs, in order
  std::vector<std::string> payloads;
  std::vector<std::uint64_t> acked;  // on_acked
  int writable = 0;
  std::optional<protocol::OpenInfo> opened;
  std::optional<protocol::CloseInfo> closed;
  std::string close_message;
  int close_calls = 0;
  std::vector<std::string> commands;
  std::vector<std::pair<std::uint64_t, std::uint16_t>> replies;
  std::vector<std::string> groups_seen;
  std::vector<std::string> welcome_groups;   // copied from on_open
  std::vector<std::uint64_t> subscribe_ids;  // request ids of on_subscribe, in order

  // Server behaviour.
  protocol::WelcomeParams welcome;
  std::optional<protocol::CallStatus> accepted;  // what accept() said in on_authenticated
  std::function<void(const protocol::HelloInfo&)> hello_action;

  void on_hello(const protocol::HelloInfo& hello) override {
    if (hello_action) return hello_action(hello);
    if (hello.method == protocol::AuthMethod::Hmac) {
      protocol::Nonce nonce{};
      protocol::random_bytes(nonce);
      session->challenge(protocol::derive_device_key(kMasterKey, hello.device_id), nonce);
    } else if (hello.method == protocol::AuthMethod::Token) {
      protocol::TokenClaims claims;
      auto reason = protocol::verify_token(hello.token, kTokenKey,
                                           static_cast<std::uint64_t>(*now / 1000), claims);
      if (reason != Reason::None || claims.device_id != hello.device_id) {
        session->reject(reason == Reason::None ? Reason::AuthFailed : reason, "token");
        return;
      }
      session->accept(welcome, *now);
    }
  }
  void on_authenticated(std::string_view) override { accepted = session->accept(welcome, *now); }
  void on_open(const protocol::OpenInfo& info) override {
    opened = info;
    welcome_groups.assign(info.groups.begin(), info.groups.end());
    opened->groups.clear();
  }
  void on_message(const protocol::IncomingMessage& m) override {
    delivered.push_back(m.seq);
    payloads.emplace_back(m.payload.begin(), m.payload.end());
    if (auto_ack) session->acknowledge(m.seq, *now);
  }
  void on_acked(std::uint64_t seq) override { acked.push_back(seq); }
  void on_writable() override { ++writable; }
  void on_command(const protocol::CommandInfo& c) override {
    commands.emplace_back(c.name);
    session->reply({c.id, 0, c.payload}, *now);  // echo, from inside the callback
  }
  void on_reply(const protocol::ReplyInfo& r) override { replies.emplace_back(r.id, r.status); }
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override {
    for (auto g : groups) groups_seen.emplace_back(g);
    subscribe_ids.push_back(request_id);
    if (session->role() == protocol::Role::Server) {
      std::vector<std::string> names(groups.begin(), groups.end());
      session->confirm_subscribe(request_id, join, names, *now);
    }
  }
  void on_close(const protocol::CloseInfo& info) override {
    ++close_calls;
    closed = info;
    close_message = std::string(info.message);
    closed->message = {};
  }
};

struct SessionPair {
  Millis now = 1'000'000;
  protocol::SessionConfig client_config, server_config;
  Recorder client_events, server_events;
  std::unique_ptr<Session> client, server;
  protocol::ClientCredentials credentials;
  protocol::ResumeRequest resume;
  std::size_t client_frames_sent = 0;

  SessionPair() {
    credentials.device_id = "dev-1";
    credentials.key = protocol::derive_device_key(kMasterKey, "dev-1");
    protocol::random_bytes(credentials.nonce);
  }

  void create() {
    client = std::make_unique<Session>(protocol::Role::Client, client_config, client_events, now);
    server = std::make_unique<Session>(protocol::Role::Server, server_config, server_events, now);
    client_events.session = client.get();
    server_events.session = server.get();
    client_events.now = server_events.now = &now;
  }

  // Creates both sessions and runs the handshake to the end.
  void connect() {
    create();
    client->start(credentials, resume, now);
    pump();
  }

  // Moves bytes both ways until neither side has anything to say.
  void pump() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      bool moved = false;
      if (client->has_output()) {
        std::vector<std::uint8_t> bytes;
        client->take_output(bytes);
        client_frames_sent += count_frames(bytes);
        server->receive(bytes, now);
        moved = true;
      }
      if (server->has_output()) {
        std::vector<std::uint8_t> bytes;
        server->take_output(bytes);
        client->receive(bytes, now);
        moved = true;
      }
      if (!moved) return;
    }
    FAIL("sessions kept talking for 1000 rounds");
  }

  void advance(Millis ms) {
    now += ms;
    client->tick(now);
    server->tick(now);
    pump();
  }

  static std::size_t count_frames(std::span<const std::uint8_t> bytes) {
    protocol::FrameDecoder decoder(protocol::kAbsoluteMaxBody);
    AlignedCopy copy(bytes);
    decoder.feed(copy.view());
    std::size_t n = 0;
    while (decoder.next().status == protocol::DecodeResult::Status::Frame) ++n;
    return n;
  }

  // Frames of one kind in `bytes`.
  static std::size_t count(std::span<const std::uint8_t> bytes, wire::Message type) {
    protocol::FrameDecoder decoder(protocol::kAbsoluteMaxBody);
    protocol::BodyDecoder bodies;
    AlignedCopy copy(bytes);
    decoder.feed(copy.view());
    std::size_t n = 0;
    for (;;) {
      auto r = decoder.next();
      if (r.status != protocol::DecodeResult::Status::Frame) return n;
      const wire::Frame* frame = nullptr;
      if (bodies.decode(r.frame, protocol::kAbsoluteMaxBody, frame) == Reason::None &&
          frame->message_type() == type)
        ++n;
    }
  }

  protocol::SendStatus server_publish(std::string_view text) {
    auto payload = bytes_of(text);
    protocol::OutgoingMessage m;
    m.payload = payload;
    return server->publish(m, now);
  }
};

}  // namespace kite::test
