// EventLog with a store: reserved events stay unseen until published, and in id order even when
// a later reservation is written first; open() rebuilds the log from the store with its ids, new
// ids come above them, and what retention drops leaves the store at the next expire().
#include <doctest/doctest.h>

#include "../store/store_fixture.h"
#include "event_log_reads.h"
#include "events/event_log.h"

namespace kite::server::events {
namespace {

using store_test::RocksStore;

EventBatch connects(int count, std::int64_t time_ms, const std::string& device = "d1") {
  EventBatch batch;
  for (int i = 0; i < count; ++i) batch.connect(device, time_ms, "127.0.0.1", false);
  return batch;
}

std::size_t stored(MessageStore& store) {
  std::size_t count = 0;
  store.for_each_event([&](const EventRecord&) { ++count; });
  return count;
}

}  // namespace

TEST_CASE("a reader sees no reserved event until every earlier reservation is published") {
  EventLog log({}, 100);
  auto first = connects(2, 1);
  auto second = connects(3, 1, "d2");
  EventLog::Reserved a, b;
  log.reserve(first, a);
  log.reserve(second, b);
  CHECK(a.last_id == 101);
  CHECK(b.last_id == 104);
  REQUIRE(b.records.size() == 3);
  CHECK(b.records[0].id == 102);
  CHECK(b.records[0].device == "d2");
  CHECK(read_all(log, 0).empty());
  CHECK(log.last_id() == 99);

  log.publish(b, 1);  // written first, but 100 and 101 are still being written
  CHECK(read_all(log, 0).empty());
  ReadResult result;
  CHECK(read_all(log, 99, &result).empty());
  CHECK(!result.gap);
  CHECK(result.next_after == 99);

  log.publish(a, 1);
  auto all = read_all(log, 0);
  REQUIRE(all.size() == 5);
  CHECK(all.front().id == 100);
  CHECK(all.back().id == 104);
  CHECK(log.last_id() == 104);
  CHECK(log.stats().recorded == 5);
}

TEST_CASE("retention never drops an event still being written") {
  EventLog log({2, 1u << 30, 3'600'000}, 1);
  auto batch = connects(5, 1);
  EventLog::Reserved reserved;
  log.reserve(batch, reserved);
  log.expire(1);
  CHECK(log.stats().held == 5);
  log.publish(reserved, 1);
  CHECK(log.stats().held == 2);
  CHECK(read_all(log, 0).front().id == 4);
}

TEST_CASE("open() rebuilds the log from the store; new ids come above the old ones") {
  RocksStore kind;
  std::uint64_t last_before = 0;
  {
    auto store = kind.open();
    EventLog log({}, 1'000);
    log.open(*store, 10);
    auto batch = connects(3, 10);
    log.append(batch, 10);
    auto more = connects(2, 11, "d2");
    log.append(more, 11);
    last_before = log.last_id();
    CHECK(stored(*store) == 5);
  }
  auto store = kind.open();
  EventLog log({}, 500);  // a clock that went back: ids must still grow
  log.open(*store, 12);
  auto held = read_all(log, 0);
  REQUIRE(held.size() == 5);
  CHECK(held.front().id == 1'000);
  CHECK(held.back().id == last_before);
  CHECK(held.back().device == "d2");
  CHECK(held.back().type == EventType::Connect);
  std::string json;
  append_json(json, held.back().view());
  CHECK(json.find(R"("type":"connect","time":11,"device":"d2",)") != std::string::npos);
  ReadResult result;
  CHECK(read_all(log, 1'002, &result).size() == 2);  // a Last-Event-ID from before the restart
  CHECK(!result.gap);

  auto after = connects(1, 13, "d3");
  log.append(after, 13);
  CHECK(log.last_id() == last_before + 1);
  CHECK(stored(*store) == 6);
}

TEST_CASE("events dropped by retention leave the store at the next expire()") {
  RocksStore kind;
  auto store = kind.open();
  EventLog log({1'000, 1u << 30, 10'000}, 1);
  log.open(*store, 1'000);
  auto old_events = connects(4, 1'000);
  log.append(old_events, 1'000);
  auto new_events = connects(2, 30'000);
  log.append(new_events, 30'000);  // the first four are too old now
  CHECK(log.stats().held == 2);
  CHECK(stored(*store) == 6);
  log.expire(30'000);
  CHECK(stored(*store) == 2);

  EventLog reopened({1'000, 1u << 30, 10'000}, 1);
  reopened.open(*store, 50'000);  // what is kept but too old by now is not shown
  CHECK(read_all(reopened, 0).empty());
}
}  // namespace kite::server::events
