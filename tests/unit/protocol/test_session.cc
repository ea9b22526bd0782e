// The session state machine, both roles against each other in memory: handshake, acks, credit,
// resume, keep-alive, takeover and commands. Refusals of bad input: test_session_refusals.cc.
#include <doctest/doctest.h>

#include <map>

#include "session_pair.h"

using namespace kite::protocol;
using namespace kite::test;
namespace wire = kite::wire;

TEST_CASE("HMAC handshake opens both sides and proves both keys") {
  SessionPair pair;
  pair.connect();
  CHECK(pair.client->is_open());
  CHECK(pair.server->is_open());
  REQUIRE(pair.client_events.opened);
  CHECK_FALSE(pair.client_events.opened->resumed);
  CHECK(pair.server->device_id() == "dev-1");
}

TEST_CASE("a wrong proof is refused with AuthFailed and no reconnect") {
  SessionPair pair;
  pair.credentials.key = derive_device_key(kMasterKey, "someone-else");
  pair.connect();
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::AuthFailed);
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::AuthFailed);
  CHECK(pair.client_events.closed->by_peer);
  CHECK_FALSE(reconnect_allowed(pair.client_events.closed->reason));
  CHECK_FALSE(pair.server_events.opened);
}

TEST_CASE("a server without the device key is exposed by its proof") {
  SessionPair pair;
  pair.create();
  pair.server_events.hello_action = [&](const HelloInfo&) {
    Nonce nonce{};
    pair.server->challenge(derive_device_key(std::vector<std::uint8_t>(32, 0x99), "dev-1"), nonce);
  };
  pair.client->start(pair.credentials, pair.resume, pair.now);
  pair.pump();
  // The server cannot check the client's proof either; whichever notices first closes.
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::AuthFailed);
  CHECK_FALSE(pair.client_events.opened);
}

TEST_CASE("accept() without a verified proof cannot open an HMAC session") {
  SessionPair pair;
  pair.create();
  pair.server_events.hello_action = [&](const HelloInfo&) {
    pair.server->accept(pair.server_events.welcome, pair.now);
  };
  pair.client->start(pair.credentials, pair.resume, pair.now);
  pair.pump();
  CHECK_FALSE(pair.server->is_open());
  CHECK_FALSE(pair.client->is_open());
}

TEST_CASE("token method: valid opens, expired is refused as expired") {
  SessionPair pair;
  pair.credentials.method = AuthMethod::Token;
  auto now_s = static_cast<std::uint64_t>(pair.now / 1000);
  SUBCASE("valid") {
    pair.credentials.token = mint_token(kTokenKey, {"dev-1", {}, now_s, now_s + 60});
    pair.connect();
    CHECK(pair.client->is_open());
    CHECK(pair.server->is_open());
  }
  SUBCASE("expired") {
    pair.credentials.token = mint_token(kTokenKey, {"dev-1", {}, now_s - 120, now_s - 60});
    pair.connect();
    REQUIRE(pair.client_events.closed);
    CHECK(pair.client_events.closed->reason == Reason::TokenExpired);
    CHECK_FALSE(pair.server->is_open());
  }
  SUBCASE("a token for another device") {
    pair.credentials.token = mint_token(kTokenKey, {"dev-2", {}, now_s, now_s + 60});
    pair.connect();
    REQUIRE(pair.client_events.closed);
    CHECK(pair.client_events.closed->reason == Reason::AuthFailed);
  }
}

TEST_CASE("messages flow both ways, in order, and are acknowledged") {
  SessionPair pair;
  pair.connect();
  for (int i = 0; i < 5; ++i)
    CHECK(pair.server_publish("down " + std::to_string(i)) == SendStatus::Sent);
  auto up = bytes_of("up");
  OutgoingMessage m;
  m.payload = up;
  std::uint64_t seq = 0;
  CHECK(pair.client->publish(m, pair.now, &seq) == SendStatus::Sent);
  CHECK(seq == 1);
  pair.pump();
  CHECK(pair.client_events.delivered == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(pair.client_events.payloads[4] == "down 4");
  CHECK(pair.server_events.payloads == std::vector<std::string>{"up"});
  pair.advance(20);  // the ack delay
  REQUIRE_FALSE(pair.server_events.acked.empty());
  CHECK(pair.server_events.acked.back() == 5);
  CHECK(pair.client_events.acked.back() == 1);
}

TEST_CASE("acks are delayed and coalesced") {
  SessionPair pair;
  pair.client_config.ack_every = 16;
  pair.client_config.ack_delay = 20;
  pair.client_config.receive_window = 64;
  pair.connect();

  for (int i = 0; i < 10; ++i) pair.server_publish("m");
  std::vector<std::uint8_t> down;
  pair.server->take_output(down);
  pair.client->receive(down, pair.now);
  CHECK(pair.client_events.delivered.size() == 10);
  CHECK_FALSE(pair.client->has_output());  // 10 processed, below ack_every: nothing yet
  CHECK(pair.client->next_deadline() == pair.now + 20);

  pair.now += 19;
  pair.client->tick(pair.now);
  CHECK_FALSE(pair.client->has_output());
  pair.now += 1;
  pair.client->tick(pair.now);
  std::vector<std::uint8_t> up;
  pair.client->take_output(up);
  CHECK(SessionPair::count(up, wire::Message::Ack) == 1);  // one ack for ten messages
  pair.server->receive(up, pair.now);
  CHECK(pair.server_events.acked == std::vector<std::uint64_t>{10});

  // 40 more in one read: an ack after 16 processed (seq 26), one riding with the credit refill
  // once half the window is processed (seq 32), 16 later another (seq 48); 2 wait for the delay.
  for (int i = 0; i < 40; ++i) pair.server_publish("m");
  pair.server->take_output(down);
  pair.client->receive(down, pair.now);
  pair.client->take_output(up);
  CHECK(SessionPair::count(up, wire::Message::Ack) == 3);
  CHECK(SessionPair::count(up, wire::Message::Credit) == 1);
  pair.server->receive(up, pair.now);
  CHECK(pair.server_events.acked == std::vector<std::uint64_t>{10, 26, 32, 48});
  pair.advance(20);
  CHECK(pair.server_events.acked.back() == 50);
}

TEST_CASE("credit: the sender stops at the window and resumes at half") {
  SessionPair pair;
  pair.client_config.receive_window = 8;
  pair.client_events.auto_ack = false;
  pair.connect();

  int sent = 0;
  while (pair.server_publish("x") == SendStatus::Sent) ++sent;
  CHECK(sent == 8);
  CHECK(pair.server_publish("x") == SendStatus::NoCredit);
  pair.pump();
  CHECK(pair.client_events.delivered.size() == 8);

  pair.client->acknowledge(3, pair.now);  // 3 of 8 processed: below half, no grant
  pair.pump();
  CHECK(pair.server->send_credit() == 0);
  CHECK(pair.server_events.writable == 0);
  pair.client->acknowledge(4, pair.now);  // half the window processed: grant 4
  pair.pump();
  CHECK(pair.server->send_credit() == 4);
  CHECK(pair.server_events.writable == 1);
  CHECK(pair.server_events.acked.back() == 4);  // the ack rode with the credit
  CHECK(pair.server_publish("y") == SendStatus::Sent);
}

TEST_CASE("a publish beyond the granted credit closes with CreditExceeded") {
  SessionPair pair;
  pair.client_config.receive_window = 2;
  pair.client_events.auto_ack = false;
  pair.connect();
  FrameEncoder rogue;
  Bytes bytes;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) encode_publish(rogue, seq, bytes_of("z"), bytes);
  pair.client->receive(bytes, pair.now);
  CHECK(pair.client_events.delivered.size() == 2);
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::CreditExceeded);
}

TEST_CASE("resume: replay from what the client holds, no message lost or duplicated") {
  SessionPair pair;
  pair.server_events.welcome.resume_token = {7, 7, 7};
  pair.server_events.welcome.store_epoch = 5;
  pair.connect();

  // The server's durable queue: seq -> payload, kept until acked.
  std::map<std::uint64_t, std::string> store;
  auto publish = [&](const std::string& text) {
    std::uint64_t seq = pair.server->next_seq();
    store[seq] = text;
    CHECK(pair.server_publish(text) == SendStatus::Sent);
  };
  for (int i = 1; i <= 10; ++i) publish("m" + std::to_string(i));

  // Only the first 7 frames reach the client before the connection drops.
  std::vector<std::uint8_t> down;
  pair.server->take_output(down);
  std::size_t seven = 0;  // bytes of the first 7 frames, summed from their headers
  for (int i = 0; i < 7; ++i) {
    FrameHeader h;
    read_header(std::span<const std::uint8_t, 8>(down.data() + seven, 8), kAbsoluteMaxBody, h);
    seven += frame_size(h.length);
  }
  pair.client->receive(std::span(down).first(seven), pair.now);
  CHECK(pair.client_events.delivered.size() == 7);
  for (auto seq : pair.server_events.acked) store.erase(store.begin(), store.upper_bound(seq));
  CHECK(store.size() == 10);  // no ack reached the server: everything is still queued

  // Reconnect with what the client kept.
  REQUIRE(pair.client_events.opened);
  pair.resume.token = {7, 7, 7};
  pair.resume.store_epoch = 5;
  pair.resume.last_received_seq = pair.client->last_received_seq();
  pair.resume.next_seq = pair.client->next_seq();
  CHECK(pair.resume.last_received_seq == 7);
  std::vector<std::uint64_t> app_saw = pair.client_events.delivered;

  pair.server_events.welcome.resumed = true;
  pair.server_events.welcome.next_seq = pair.server->next_seq();
  pair.client_events.delivered.clear();
  pair.connect();
  REQUIRE(pair.client_events.opened);
  CHECK(pair.client_events.opened->resumed);
  REQUIRE(pair.server_events.opened);
  std::uint64_t holds = pair.server_events.opened->peer_last_received;
  CHECK(holds == 7);
  store.erase(store.begin(), store.upper_bound(holds));
  for (const auto& [seq, text] : store) {
    auto payload = bytes_of(text);
    OutgoingMessage m;
    m.payload = payload;
    CHECK(pair.server->publish_stored(seq, m, pair.now) == SendStatus::Sent);
  }
  publish("m11");
  pair.pump();
  for (auto seq : pair.client_events.delivered) app_saw.push_back(seq);
  CHECK(app_saw == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});

  // A sender that replays too much (from its own ack watermark) is deduplicated by seq.
  FrameEncoder replay;
  Bytes again;
  for (std::uint64_t seq = 6; seq <= 11; ++seq) encode_publish(replay, seq, bytes_of("dup"), again);
  encode_publish(replay, 12, bytes_of("new"), again);
  pair.client_events.delivered.clear();
  pair.client->receive(again, pair.now);
  CHECK(pair.client_events.delivered == std::vector<std::uint64_t>{12});
  CHECK(pair.client->is_open());
}

TEST_CASE("a session that cannot resume starts a fresh history on the client") {
  SessionPair pair;
  pair.resume.token = {1};
  pair.resume.last_received_seq = 500;  // from a store the server no longer has
  pair.server_events.welcome.resumed = false;
  pair.connect();
  REQUIRE(pair.client_events.opened);
  CHECK_FALSE(pair.client_events.opened->resumed);
  CHECK(pair.client->last_received_seq() == 0);
  pair.server_publish("fresh");
  pair.pump();
  CHECK(pair.client_events.delivered == std::vector<std::uint64_t>{1});  // not a "duplicate"
}

TEST_CASE("keep-alive: the client pings when idle; a silent peer is closed at 1.5x") {
  SessionPair pair;
  pair.client_config.keepalive_ms = 1000;
  pair.server_config.keepalive_ms = 60'000;
  pair.connect();
  CHECK(pair.client->keepalive_ms() == 1000);

  SUBCASE("pings keep both sides alive") {
    for (int i = 0; i < 10; ++i) pair.advance(1000);
    CHECK(pair.client->is_open());
    CHECK(pair.server->is_open());
    CHECK(pair.client->last_rtt() == 0);
  }
  SUBCASE("a client that stops talking is closed by the server") {
    CHECK(pair.server->next_deadline() == pair.now + 1500);
    pair.now += 1499;
    pair.server->tick(pair.now);
    CHECK(pair.server->is_open());
    pair.now += 1;
    pair.server->tick(pair.now);
    REQUIRE(pair.server_events.closed);
    CHECK(pair.server_events.closed->reason == Reason::KeepaliveTimeout);
  }
  SUBCASE("a server that stops answering is closed by the client") {
    pair.now += 1000;
    pair.client->tick(pair.now);  // sends a ping that is never answered
    CHECK(pair.client->has_output());
    pair.now += 500;
    pair.client->tick(pair.now);
    REQUIRE(pair.client_events.closed);
    CHECK(pair.client_events.closed->reason == Reason::KeepaliveTimeout);
  }
}

TEST_CASE("the server clamps the keep-alive a client asks for") {
  SessionPair pair;
  pair.client_config.keepalive_ms = 10;  // too eager
  pair.server_config.min_keepalive_ms = 5'000;
  pair.connect();
  CHECK(pair.client->keepalive_ms() == 5'000);
}

TEST_CASE("takeover: the old connection gets goaway Replaced and must not reconnect") {
  SessionPair old_pair;
  old_pair.connect();
  SessionPair new_pair;
  new_pair.connect();
  REQUIRE(new_pair.server->is_open());
  // The server's registry sees dev-1 twice: the newest wins.
  old_pair.server->goaway(Reason::Replaced, 0, "a newer connection took over");
  old_pair.pump();
  REQUIRE(old_pair.client_events.closed);
  CHECK(old_pair.client_events.closed->reason == Reason::Replaced);
  CHECK(old_pair.client_events.closed->by_peer);
  CHECK_FALSE(reconnect_allowed(Reason::Replaced));
  CHECK(new_pair.client->is_open());
}

TEST_CASE("goaway carries the reconnect hint") {
  SessionPair pair;
  pair.connect();
  pair.server->goaway(Reason::ServerShutdown, 4321, "draining");
  pair.pump();
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::ServerShutdown);
  CHECK(pair.client_events.closed->reconnect_after_ms == 4321);
  CHECK(pair.client_events.close_message == "draining");
  CHECK(reconnect_allowed(Reason::ServerShutdown));
}

TEST_CASE("commands, replies and group requests round trip; calls from callbacks are safe") {
  SessionPair pair;
  pair.connect();
  auto payload = bytes_of("21.5");
  CHECK(pair.server->send_command({9, "set_target", payload, 3000}, pair.now) == SendStatus::Sent);
  CHECK(pair.client->send_command({9, "x", {}, 0}, pair.now) == SendStatus::WrongRole);
  std::vector<std::string> groups{"room-1", "fleet-a"};
  CHECK(pair.client->subscribe(77, true, groups, pair.now) == SendStatus::Sent);
  pair.pump();
  CHECK(pair.client_events.commands == std::vector<std::string>{"set_target"});
  REQUIRE(pair.server_events.replies.size() == 1);
  CHECK(pair.server_events.replies[0].first == 9);
  CHECK(pair.server_events.groups_seen == groups);
  CHECK(pair.client_events.groups_seen == groups);  // the confirmation echo

  std::vector<std::string> bad{std::string(200, 'g')};
  CHECK(pair.client->subscribe(78, true, bad, pair.now) == SendStatus::Invalid);
}

TEST_CASE("QoS 0 takes no seq: never a duplicate, still costs and returns credit") {
  SessionPair pair;
  pair.client_config.receive_window = 4;
  pair.connect();
  auto send = [&](std::string_view text, Qos qos) {
    auto payload = bytes_of(text);
    OutgoingMessage m;
    m.payload = payload;
    m.qos = qos;
    std::uint64_t seq = 99;
    CHECK(pair.server->publish(m, pair.now, &seq) == SendStatus::Sent);
    return seq;
  };
  CHECK(send("a", Qos::AtLeastOnce) == 1);
  CHECK(send("b", Qos::AtMostOnce) == 1);  // carries the last seq sent, takes none
  CHECK(send("c", Qos::AtMostOnce) == 1);
  CHECK(send("d", Qos::AtLeastOnce) == 2);
  CHECK(pair.server->send_credit() == 0);
  pair.pump();
  CHECK(pair.client_events.payloads == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(pair.client_events.delivered == std::vector<std::uint64_t>{1, 1, 1, 2});
  CHECK(pair.server->send_credit() == 4);  // all four processed: the window came back

  // A QoS 0 publish before any QoS 1 carries seq 0, which is valid for QoS 0 only.
  SessionPair fresh;
  fresh.connect();
  auto payload = bytes_of("first");
  OutgoingMessage m;
  m.payload = payload;
  m.qos = Qos::AtMostOnce;
  CHECK(fresh.server->publish(m, fresh.now) == SendStatus::Sent);
  fresh.pump();
  CHECK(fresh.client_events.payloads == std::vector<std::string>{"first"});
  CHECK(fresh.client->is_open());
  CHECK(fresh.server->publish_stored(5, m, fresh.now) == SendStatus::Invalid);  // QoS 1 only
}
