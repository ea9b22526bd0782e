// The session against bad or hostile input, both roles in memory: handshake deadlines,
// out-of-order, malformed and oversized frames, ids and sequence numbers at their limits.
#include <doctest/doctest.h>

#include "session_pair.h"

using namespace kite::protocol;
using namespace kite::test;
namespace wire = kite::wire;

TEST_CASE("handshake timeout, also for a peer trickling one byte at a time") {
  SessionPair pair;
  pair.server_config.handshake_timeout = 5'000;
  pair.create();
  pair.client->start(pair.credentials, pair.resume, pair.now);
  std::vector<std::uint8_t> hello;
  pair.client->take_output(hello);
  for (std::size_t i = 0; i < hello.size() && !pair.server_events.closed; ++i) {
    pair.now += 1000;
    pair.server->receive(std::span(hello).subspan(i, 1), pair.now);
    pair.server->tick(pair.now);
  }
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::HandshakeTimeout);
  CHECK(pair.server_events.close_calls == 1);
}

TEST_CASE("a publish before the handshake is an unexpected message") {
  SessionPair pair;
  pair.create();
  FrameEncoder rogue;
  Bytes bytes;
  encode_publish(rogue, 1, bytes_of("early"), bytes);
  pair.server->receive(bytes, pair.now);
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::UnexpectedMessage);
  // The refusal went out as an Error frame before the close.
  CHECK(SessionPair::count(pair.server->output(), wire::Message::Error) == 1);
}

TEST_CASE("bad bytes close the session with the decoder's reason") {
  SessionPair pair;
  pair.connect();
  Bytes oversize(kHeaderSize);
  write_header({pair.server_config.max_frame + 1, 0, 0}, oversize.data());
  pair.server->receive(oversize, pair.now);
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::FrameTooLarge);
  pair.pump();
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::FrameTooLarge);
}

TEST_CASE("publishes above the peer's maximum frame are refused locally, nothing sent") {
  SessionPair pair;
  pair.client_config.max_frame = 16 * 1024;
  pair.connect();
  pair.server_config.compression.threshold = 1u << 30;  // irrelevant: settings were copied
  Bytes big(40 * 1024);
  std::uint32_t x = 1;
  for (auto& b : big) b = static_cast<std::uint8_t>((x = x * 1664525 + 1013904223) >> 24);
  OutgoingMessage m;
  m.payload = big;
  CHECK(pair.server->publish(m, pair.now) == SendStatus::TooLarge);
  CHECK_FALSE(pair.server->has_output());
  CHECK(pair.server->next_seq() == 1);  // the seq was not consumed
}

TEST_CASE("a message type without its table closes the session instead of crashing it") {
  SessionPair pair;
  pair.create();
  const Bytes frame{0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x06, 0x00, 0x08, 0x00, 0x07, 0x00, 0x06, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  pair.server->receive(frame, pair.now);
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::InvalidBody);
}

TEST_CASE("the peer's frame limit applies to the size before compression") {
  // The receiver bounds the decompressed size, so a body that compresses below the limit but
  // inflates above it must not be sent.
  SessionPair pair;
  pair.client_config.max_frame = 16 * 1024;
  pair.connect();
  Bytes compressible(40 * 1024, 'a');
  OutgoingMessage m;
  m.payload = compressible;
  CHECK(pair.server->publish(m, pair.now) == SendStatus::TooLarge);
  CHECK_FALSE(pair.server->has_output());
  Bytes fits(15 * 1024, 'a');
  m.payload = fits;
  CHECK(pair.server->publish(m, pair.now) == SendStatus::Sent);
  pair.pump();
  CHECK(pair.client_events.delivered.size() == 1);
  CHECK(pair.client->is_open());
}

TEST_CASE("ids start at 1: command and request id 0 are refused") {
  SessionPair pair;
  pair.connect();
  CHECK(pair.server->send_command({0, "x", {}, 0}, pair.now) == SendStatus::Invalid);
  std::vector<std::string> groups{"g"};
  CHECK(pair.client->subscribe(0, true, groups, pair.now) == SendStatus::Invalid);
  FrameEncoder rogue;
  Bytes bytes;
  auto& b = rogue.start();
  rogue.finish(wire::CreateCommandDirect(b, 0, "reboot"), bytes);
  pair.client->receive(bytes, pair.now);
  REQUIRE(pair.client_events.closed);
  CHECK(pair.client_events.closed->reason == Reason::InvalidId);
}

TEST_CASE("announcements of 0 mean the documented defaults on both sides") {
  SessionPair pair;
  pair.client_config.receive_window = 0;  // clamped to 1, never announced as 0
  pair.client_events.auto_ack = false;
  pair.connect();
  CHECK(pair.server_publish("a") == SendStatus::Sent);
  CHECK(pair.server_publish("b") == SendStatus::NoCredit);
  pair.pump();
  pair.client->acknowledge(1, pair.now);
  pair.pump();
  CHECK(pair.server_publish("b") == SendStatus::Sent);
  pair.pump();
  CHECK(pair.client->is_open());
  CHECK(pair.client_events.delivered.size() == 2);
}

TEST_CASE("sequence numbers near 2^64 are refused instead of wrapping") {
  SUBCASE("a welcome claiming the last uplink seq 2^64 - 1") {
    SessionPair pair;
    pair.server_events.welcome.last_received_seq = ~std::uint64_t{0};
    pair.connect();
    REQUIRE(pair.client_events.closed);
    CHECK(pair.client_events.closed->reason == Reason::InvalidSequence);
  }
  SUBCASE("a publish with seq 2^63") {
    SessionPair pair;
    pair.connect();
    FrameEncoder rogue;
    Bytes bytes;
    encode_publish(rogue, std::uint64_t{1} << 63, bytes_of("x"), bytes);
    pair.client->receive(bytes, pair.now);
    REQUIRE(pair.client_events.closed);
    CHECK(pair.client_events.closed->reason == Reason::InvalidSequence);
  }
}

TEST_CASE("a hostile pong token does not upset the round-trip time") {
  SessionPair pair;
  pair.connect();
  FrameEncoder rogue;
  Bytes bytes;
  auto& b = rogue.start();
  rogue.finish(wire::CreatePong(b, std::uint64_t{1} << 63), bytes);
  pair.client->receive(bytes, pair.now);
  CHECK(pair.client->is_open());
  CHECK(pair.client->last_rtt() == -1);
}
