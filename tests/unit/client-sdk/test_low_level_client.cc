// kite::LowLevelClient with no socket at all: its bytes go to a server-role protocol Session in
// memory and back, and time is a number the test moves. What it shows: the application's loop
// alone (dial, bytes, time) drives authentication, messages both ways, the keep-alive, the
// reconnect after a silent server, and a clean stop.
#include "kite/low_level_client.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "../protocol/session_pair.h"
#include "kite/protocol/hex.h"

namespace kite {
namespace {

using protocol::Millis;

struct MemoryServer {
  Millis now = 1'000'000;
  protocol::SessionConfig config;
  test::Recorder events;
  std::unique_ptr<protocol::Session> session;

  void accept_connection() {
    session = std::make_unique<protocol::Session>(protocol::Role::Server, config, events, now);
    events.session = session.get();
    events.now = &now;
  }

  // Moves bytes both ways until neither side has anything to say (`deaf`: what the client
  // sends is dropped, as by a link gone silent).
  void pump(LowLevelClient& client, bool deaf = false) {
    for (int round = 0; round < 100; ++round) {
      std::vector<std::uint8_t> out;
      client.take_output(out);
      bool moved = !out.empty();
      if (moved && !deaf && session) session->receive(out, now);
      if (!deaf && session && session->has_output()) {
        std::vector<std::uint8_t> bytes;
        session->take_output(bytes);
        client.received(bytes, now);
        moved = true;
      }
      if (!moved) return;
    }
    FAIL("the client and the server kept talking for 100 rounds");
  }
};

ClientOptions options() {
  ClientOptions o;
  o.device_id = "dev-1";
  o.key = protocol::hex_encode(protocol::derive_device_key(test::kMasterKey, "dev-1"));
  o.keepalive_ms = 10'000;
  o.jitter_seed = 7;
  return o;
}

}  // namespace

TEST_CASE("low-level client: the app's bytes and clock alone carry a whole session") {
  MemoryServer server;
  LowLevelClient client(options());
  std::vector<std::string> messages;
  std::vector<State> states;
  std::vector<std::uint32_t> retry_in_ms;
  client.on_message([&](const Message& m) { messages.emplace_back(m.payload); });
  client.on_state([&](const StateChange& s) {
    states.push_back(s.state);
    retry_in_ms.push_back(s.retry_in_ms);
  });
  REQUIRE(client.start(server.now) == Error::Ok);
  CHECK(states == std::vector{State::Connecting});

  std::string agent;  // what the hello says of the SDK
  server.events.hello_action = [&](const protocol::HelloInfo& hello) {
    agent = std::string(hello.agent);
    protocol::Nonce nonce{};  // then as any server: the challenge
    protocol::random_bytes(nonce);
    server.session->challenge(protocol::derive_device_key(test::kMasterKey, hello.device_id),
                              nonce);
  };
  auto dial = client.dial();
  REQUIRE(dial.has_value());
  CHECK(dial->host == "127.0.0.1");
  CHECK(dial->port == 7000);
  CHECK_FALSE(client.dial().has_value());  // once per attempt
  server.accept_connection();
  client.connected(server.now);
  server.pump(client);
  REQUIRE(client.state() == State::Connected);
  CHECK(agent == std::string("kite-sdk/") + KITE_VERSION);

  // Both ways.
  std::vector<std::uint8_t> hello(5);
  std::copy_n("hello", 5, hello.begin());
  protocol::OutgoingMessage down;
  down.payload = hello;
  REQUIRE(server.session->publish(down, server.now) == protocol::SendStatus::Sent);
  server.pump(client);
  CHECK(messages == std::vector<std::string>{"hello"});
  Error confirmed = Error::Stopped;
  REQUIRE(client.publish({.payload = "up"}, [&](Error e, std::string_view) { confirmed = e; }) ==
          Error::Ok);
  server.pump(client);
  CHECK(server.events.payloads == std::vector<std::string>{"up"});
  server.now += 100;  // the server's ack is coalesced: its timer sends it
  server.session->tick(server.now);
  server.pump(client);
  CHECK(confirmed == Error::Ok);

  // The server goes silent: the client's own deadlines, met by the app's clock, notice it.
  for (int i = 0; i < 10 && !client.close_wanted(); ++i) {
    REQUIRE(client.next_tick() > server.now);
    server.now = client.next_tick();
    client.tick(server.now);
    server.pump(client, /*deaf=*/true);
  }
  CHECK(states.back() == State::Disconnected);
  // Lost with no goaway: the first retry is drawn from lost_reconnect_spread_ms (5 s), not from
  // the first back-off window (0.5 s).
  CHECK(retry_in_ms.back() <= 5'000);
  CHECK_FALSE(client.dial().has_value());  // not before the back-off
  server.now = client.next_tick();
  client.tick(server.now);
  REQUIRE(client.dial().has_value());

  // A new connection opens a session again; stop() says goodbye and asks for a graceful close.
  server.accept_connection();
  client.connected(server.now);
  server.pump(client);
  REQUIRE(client.state() == State::Connected);
  client.stop();
  server.pump(client);
  REQUIRE(server.events.closed.has_value());
  CHECK(server.events.closed->reason == protocol::Reason::NormalClose);
  bool graceful = false;
  CHECK(client.close_wanted(&graceful));
  CHECK(graceful);
  CHECK(client.finished());
  CHECK(states.back() == State::Stopped);
}

TEST_CASE(
    "low-level client: stop() and publish() from inside a message handler take effect after it") {
  MemoryServer server;
  LowLevelClient client(options());
  std::vector<std::string> messages;
  client.on_message([&](const Message& m) {
    messages.emplace_back(m.payload);
    CHECK(client.publish({.payload = "answer"}) == Error::Ok);
    client.stop();  // the session that is delivering this message must outlive the handler
  });
  REQUIRE(client.start(server.now) == Error::Ok);
  REQUIRE(client.dial().has_value());
  server.accept_connection();
  client.connected(server.now);
  server.pump(client);
  REQUIRE(client.state() == State::Connected);
  std::vector<std::uint8_t> two = {'a', 'b'};
  protocol::OutgoingMessage down;
  down.payload = two;
  REQUIRE(server.session->publish(down, server.now) == protocol::SendStatus::Sent);
  REQUIRE(server.session->publish(down, server.now) == protocol::SendStatus::Sent);
  server.pump(client);
  CHECK(messages.size() == 1);  // stop() from the handler: the second is not delivered
  CHECK(client.finished());
  REQUIRE(server.events.closed.has_value());
  CHECK(server.events.closed->reason == protocol::Reason::NormalClose);
}

}  // namespace kite
