// SharedPublish: a QoS 0 publish encoded once and appended by many sessions (Session::send_shared)
// reads on every receiver like one its own session encoded, under the same rules (credit, frame
// limit), with the dictionary each receiver agreed.
#include <doctest/doctest.h>

#include "kite/protocol/shared_publish.h"
#include "session_pair.h"

using namespace kite::protocol;
using namespace kite::test;

namespace {

OutgoingMessage transient(std::span<const std::uint8_t> payload, std::string_view topic = {}) {
  OutgoingMessage m;
  m.payload = payload;
  m.qos = Qos::AtMostOnce;
  m.topic = topic;
  return m;
}

std::shared_ptr<DictionarySet> dictionary_of(std::uint16_t id, std::string_view content) {
  auto set = std::make_shared<DictionarySet>();
  REQUIRE(set->add(id, bytes_of(content)));
  return set;
}

}  // namespace

TEST_CASE("one encoding reaches several receivers as their own QoS 0 publish") {
  FrameEncoder encoder;
  const Bytes payload = bytes_of("lights off");
  auto shared = SharedPublish::encode(encoder, transient(payload, "power"), 0);
  REQUIRE(shared);
  CHECK(encoder.stats().frames == 1);  // encoded once

  SessionPair a, b;
  a.connect();
  b.connect();
  for (SessionPair* pair : {&a, &b}) {
    const std::uint32_t credit = pair->server->send_credit();
    CHECK(pair->server->send_shared(*shared, pair->now) == SendStatus::Sent);
    CHECK(pair->server->send_credit() == credit - 1);  // a QoS 0 publish costs one credit
    CHECK(pair->server->next_seq() == 1);              // and takes no seq
    pair->pump();
    REQUIRE(pair->client_events.payloads.size() == 1);
    CHECK(pair->client_events.payloads[0] == "lights off");
    CHECK(pair->client->is_open());
  }
}

TEST_CASE("the shared frame has the bytes a session encodes, seq aside") {
  FrameEncoder encoder;
  const Bytes payload = bytes_of("same bytes");
  auto shared = SharedPublish::encode(encoder, transient(payload, "t"), 0);
  REQUIRE(shared);
  SessionPair pair;
  pair.connect();
  // No QoS 1 publish went out on this connection, so a QoS 0 one carries seq 0 too.
  OutgoingMessage m = transient(payload, "t");
  REQUIRE(pair.server->publish(m, pair.now) == SendStatus::Sent);
  std::vector<std::uint8_t> own;
  pair.server->take_output(own);
  CHECK(own == shared->for_dictionary(0).frame);
}

TEST_CASE("sending a shared publish follows publish()'s rules: open, credit, frame limit") {
  FrameEncoder encoder;
  const Bytes small = bytes_of("x");
  auto shared = SharedPublish::encode(encoder, transient(small), 0);
  REQUIRE(shared);

  SessionPair not_open;
  not_open.create();
  CHECK(not_open.server->send_shared(*shared, not_open.now) == SendStatus::NotOpen);

  SessionPair pair;
  pair.client_config.receive_window = 1;
  pair.client_config.max_frame = 16 * 1024;
  pair.client_events.auto_ack = false;
  pair.connect();
  const Bytes big(20 * 1024, 'a');  // compresses far below the limit, inflates above it
  auto too_big = SharedPublish::encode(encoder, transient(big), 0);
  REQUIRE(too_big);
  CHECK(too_big->for_dictionary(0).compressed);
  CHECK(pair.server->send_shared(*too_big, pair.now) == SendStatus::TooLarge);
  CHECK_FALSE(pair.server->has_output());
  CHECK(pair.server->send_shared(*shared, pair.now) == SendStatus::Sent);
  CHECK(pair.server->send_shared(*shared, pair.now) == SendStatus::NoCredit);
}

TEST_CASE("only QoS 0 messages within the limits are shared") {
  FrameEncoder encoder;
  const Bytes payload = bytes_of("p");
  OutgoingMessage stored = transient(payload);
  stored.qos = Qos::AtLeastOnce;
  CHECK_FALSE(SharedPublish::encode(encoder, stored, 0));
  const std::string long_topic(300, 't');
  CHECK_FALSE(SharedPublish::encode(encoder, transient(payload, long_topic), 0));
}

TEST_CASE("receivers get the encoding of the dictionary they agreed, or none") {
  const std::string reading = R"({"device":"meter-1000","temperature_c":21.5,"humidity_pct":40})";
  auto dictionaries = dictionary_of(7, reading + reading);
  FrameEncoder encoder(dictionaries);
  encoder.compression().dictionary = 7;
  const Bytes payload = bytes_of(reading);
  auto shared = SharedPublish::encode(encoder, transient(payload), 7);
  REQUIRE(shared);
  CHECK(encoder.compression().dictionary == 7);  // left as the caller set it
  CHECK(shared->for_dictionary(7).compressed);
  CHECK_FALSE(shared->for_dictionary(0).compressed);  // too small to pay without a dictionary
  CHECK(shared->for_dictionary(3).frame == shared->for_dictionary(0).frame);

  SessionPair with, without;
  with.server_config.dictionaries = dictionaries;
  with.server_config.compression.dictionary = 7;
  with.client_config.dictionaries = dictionaries;
  without.server_config = with.server_config;
  with.connect();
  without.connect();
  REQUIRE(with.server->dictionary() == 7);
  REQUIRE(without.server->dictionary() == 0);
  for (SessionPair* pair : {&with, &without}) {
    CHECK(pair->server->send_shared(*shared, pair->now) == SendStatus::Sent);
    pair->pump();
    REQUIRE(pair->client_events.payloads.size() == 1);
    CHECK(pair->client_events.payloads[0] == reading);
    CHECK(pair->client->is_open());
  }
}
