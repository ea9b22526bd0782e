// The events' JSON: every builder gives a valid object with its fields; payloads as text or
// base64url; SSE records are one data line whatever the payload holds.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "events/event.h"

namespace kite::server::events {
namespace {

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The only event of `batch`, with id 42, as a reader gets it.
nlohmann::json parsed(const EventBatch& batch) {
  REQUIRE(batch.size() == 1);
  EventView view = batch.view(batch.headers()[0]);
  view.id = 42;
  std::string text;
  append_json(text, view);
  return nlohmann::json::parse(text);
}

}  // namespace

TEST_CASE("event types by name") {
  for (auto type :
       {EventType::Uplink, EventType::Connect, EventType::Disconnect, EventType::Receipt})
    CHECK(parse_type(type_name(type)) == type);
  CHECK(!parse_type("Uplink"));
  CHECK(!parse_type(""));
}

TEST_CASE("an uplink carries text as text and other bytes as base64url") {
  EventBatch text;
  text.uplink("d\"1", 1700, {7, 1, "t/temp", "application/json", bytes("{\"c\":21}")});
  auto json = parsed(text);
  CHECK(json["id"] == "42");
  CHECK(json["type"] == "uplink");
  CHECK(json["time"] == 1700);
  CHECK(json["device"] == "d\"1");
  CHECK(json["seq"] == 7);
  CHECK(json["qos"] == 1);
  CHECK(json["topic"] == "t/temp");
  CHECK(json["content_type"] == "application/json");
  CHECK(json["payload"] == "{\"c\":21}");

  const std::uint8_t raw[] = {0xff, 0x00, 0xfe};
  EventBatch binary_batch;
  binary_batch.uplink("d", 1, {0, 0, {}, {}, raw});
  auto binary = parsed(binary_batch);
  CHECK(!binary.contains("payload"));
  CHECK(binary["payload_base64"] == "_wD-");
  CHECK(!binary.contains("seq"));
  CHECK(!binary.contains("topic"));
}

TEST_CASE("connect, disconnect and receipt fields") {
  EventBatch batch;
  batch.connect("lamp", 5, "127.0.0.1", true);
  auto connect = parsed(batch);
  CHECK(connect["ip"] == "127.0.0.1");
  CHECK(connect["resumed"] == true);
  batch.clear();
  batch.disconnect("lamp", 6, "KeepaliveTimeout", false);
  auto gone = parsed(batch);
  CHECK(gone["reason"] == "KeepaliveTimeout");
  CHECK(gone["by_peer"] == false);
  batch.clear();
  batch.receipt("lamp", 7, 12, "abcdefghijklmnopqrstuvwxyz");
  auto receipt = parsed(batch);
  CHECK(receipt["seq"] == 12);
  CHECK(receipt["message_id"] == "abcdefghijklmnopqrstuvwxyz");
}

TEST_CASE("the log holds each event's own fields once; readers get the whole object") {
  EventBatch batch;
  batch.connect("bench-7", 1765000000000, "10.0.0.7", false);
  const EventView view = batch.view(batch.headers()[0]);
  CHECK(view.data == R"(,"ip":"10.0.0.7","resumed":false})");
  std::string text;
  append_json(text, {3, view.time_ms, view.type, view.device, view.data});
  CHECK(text == R"({"id":"3","type":"connect","time":1765000000000,"device":"bench-7",)"
                R"("ip":"10.0.0.7","resumed":false})");

  // An event a kited of before 2026-12 stored held the whole object: it reads back the same.
  std::string legacy;
  append_json(legacy, {3, 1765000000000, EventType::Connect, "bench-7",
                       R"({"type":"connect","time":1765000000000,"device":"bench-7",)"
                       R"("ip":"10.0.0.7","resumed":false})"});
  CHECK(legacy == text);
}

TEST_CASE("a cluster's shared log holds whole objects, which every version reads") {
  EventBatch batch;
  batch.connect("d\"1", 1765000000000, "10.0.0.7", true);
  const EventView view = batch.view(batch.headers()[0]);
  std::string whole;
  append_whole(whole, view);
  CHECK(whole == R"({"type":"connect","time":1765000000000,"device":"d\"1",)"
                 R"("ip":"10.0.0.7","resumed":true})");
  // What a node of either version mirrors back is held as the event's own fields again.
  std::string scratch;
  const EventView mirrored{7, view.time_ms, view.type, view.device, whole};
  CHECK(own_fields(mirrored, scratch) == view.data);
  // An object whose common fields are not exactly those (another time) is kept whole.
  const EventView other{7, view.time_ms + 1, view.type, view.device, whole};
  CHECK(own_fields(other, scratch) == whole);
  std::string json;
  append_json(json, other);
  CHECK(nlohmann::json::parse(json)["time"] == 1765000000000);  // the object's own, unchanged

  CHECK(well_formed_fields(view.data));
  CHECK(well_formed_fields(whole));
  CHECK_FALSE(well_formed_fields(""));
  CHECK_FALSE(well_formed_fields("ip"));
  CHECK_FALSE(well_formed_fields(",\"ip\":\"x\""));  // cut short
}

TEST_CASE("an SSE record is id, event and one data line, whatever the payload holds") {
  EventBatch batch;
  batch.uplink("d", 1, {0, 0, "a\nb", {}, bytes("line1\nline2\r\n\n")});
  EventView event = batch.view(batch.headers()[0]);
  event.id = 9;
  std::string sse;
  append_sse(sse, event);
  CHECK(sse.starts_with("id: 9\nevent: uplink\ndata: {"));
  CHECK(sse.ends_with("}\n\n"));
  CHECK(sse.find('\n') == 5);
  CHECK(sse.find("\n\n") == sse.size() - 2);  // no blank line before the end
  CHECK(sse.find('\r') == std::string::npos);
}

}  // namespace kite::server::events
