// EventLog: consecutive ids, retention by count, bytes and age, gaps reported with the ids
// missed, filtered reads that still advance the cursor, and the listener.
#include <doctest/doctest.h>

#include "event_log_reads.h"
#include "events/event_log.h"

namespace kite::server::events {
namespace {

EventBatch uplinks(int count, std::int64_t time_ms, const std::string& device = "d1") {
  EventBatch batch;
  for (int i = 0; i < count; ++i) {
    std::string payload = "p" + std::to_string(i);
    batch.uplink(
        device, time_ms,
        {0, 0, {}, {}, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
  }
  return batch;
}

}  // namespace

TEST_CASE("ids are consecutive from the first id, in append order") {
  EventLog log({}, 1000);
  CHECK(log.last_id() == 999);
  auto batch = uplinks(3, 1);
  log.append(batch, 1);
  CHECK(batch.empty());
  auto more = uplinks(2, 1);
  log.append(more, 1);
  auto all = read_all(log, 0);
  REQUIRE(all.size() == 5);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].id == 1000 + i);
  CHECK(log.last_id() == 1004);
  CHECK(read_all(log, 1002).size() == 2);
  CHECK(read_all(log, 1004).empty());
  CHECK(all[3].device == "d1");
  CHECK(all[3].data.find(R"("payload":"p0")") != std::string::npos);
}

TEST_CASE("events survive the chunks they share being filled and dropped around them") {
  EventLog log({1000, 1u << 30, 3'600'000}, 1);
  const std::string big(100'000, 'x');  // several per 256 KiB chunk, and one bigger than a chunk
  const std::string huge(300'000, 'y');
  for (int round = 0; round < 40; ++round) {
    EventBatch batch;
    const std::string& payload = round == 17 ? huge : big;
    batch.uplink(
        "dev-" + std::to_string(round), 1,
        {0, 0, {}, {}, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
    log.append(batch, 1);
  }
  auto all = read_all(log, 0);
  REQUIRE(all.size() == 40);
  for (int round = 0; round < 40; ++round) {
    CHECK(all[round].device == "dev-" + std::to_string(round));
    CHECK(all[round].data.size() > (round == 17 ? huge : big).size());
  }
  EventLog small({3, 1u << 30, 3'600'000},
                 1);  // drops as it goes: chunks freed, never reused early
  for (int round = 0; round < 40; ++round) {
    EventBatch batch;
    batch.uplink("dev-" + std::to_string(round), 1,
                 {0, 0, {}, {}, {reinterpret_cast<const std::uint8_t*>(big.data()), big.size()}});
    small.append(batch, 1);
  }
  auto held = read_all(small, 0);
  REQUIRE(held.size() == 3);
  CHECK(held[0].device == "dev-37");
  CHECK(held[2].device == "dev-39");
  CHECK(held[2].data.ends_with(big + "\"}"));
}

TEST_CASE("retention drops the oldest by count, and a reader behind it gets a gap") {
  EventLog log({5, 1u << 30, 3'600'000}, 1);
  auto batch = uplinks(12, 1);
  log.append(batch, 1);
  ReadResult result;
  auto held = read_all(log, 3, &result);
  CHECK(result.gap);
  CHECK(result.missed_first == 4);
  CHECK(result.missed_last == 7);
  REQUIRE(held.size() == 5);
  CHECK(held.front().id == 8);
  CHECK(result.next_after == 12);
  read_all(log, 7, &result);  // the id just before the oldest held: nothing missed
  CHECK(!result.gap);
  read_all(log, 0, &result);  // 0: everything held, not a gap
  CHECK(!result.gap);
  CHECK(log.stats().dropped == 7);
  CHECK(log.stats().held == 5);
}

TEST_CASE("retention by bytes and by age") {
  EventLog by_bytes({1000, 2000, 3'600'000}, 1);
  auto batch = uplinks(100, 1);
  by_bytes.append(batch, 1);
  CHECK(by_bytes.stats().held_bytes <= 2000);
  CHECK(by_bytes.stats().held >= 1);
  CHECK(by_bytes.stats().held < 100);

  EventLog by_age({1000, 1u << 30, 10'000}, 1);
  auto old_batch = uplinks(3, 1'000);
  by_age.append(old_batch, 1'000);
  auto new_batch = uplinks(2, 20'000);
  by_age.append(new_batch, 20'000);  // the first three are 19 s old now
  CHECK(by_age.stats().held == 2);
  by_age.expire(40'000);
  CHECK(by_age.stats().held == 0);
}

TEST_CASE("an id the log never gave is a gap, and everything held follows") {
  EventLog log({}, 100);
  auto batch = uplinks(3, 1);
  log.append(batch, 1);
  ReadResult result;
  auto all = read_all(log, 5000, &result);
  CHECK(result.gap);
  CHECK(result.missed_first == 0);
  CHECK(all.size() == 3);
}

TEST_CASE("filtered reads skip what does not match but still move the cursor") {
  EventLog log({}, 1);
  auto a = uplinks(10, 1, "a");
  auto b = uplinks(10, 1, "b");
  log.append(a, 1);
  log.append(b, 1);
  std::vector<Event> out;
  auto only_b = [](const EventView& e) { return e.device == "b"; };
  auto result = log.read(0, only_b, 3, 1u << 20, 1000, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].id == 11);
  CHECK(result.next_after == 13);  // stopped at the third match
  out.clear();
  result = log.read(0, only_b, 100, 1u << 20, 5, out);  // scans 5 events: none match
  CHECK(out.empty());
  CHECK(result.next_after == 5);
  out.clear();
  result = log.read(result.next_after, only_b, 100, 1u << 20, 1000, out);
  CHECK(out.size() == 10);
  CHECK(result.next_after == 20);
}

TEST_CASE("the listener runs after each append, and not after it is cleared") {
  EventLog log({}, 1);
  int calls = 0;
  log.set_listener([&] { ++calls; });
  auto batch = uplinks(2, 1);
  log.append(batch, 1);
  EventBatch empty;
  log.append(empty, 1);  // nothing appended: nobody woken
  CHECK(calls == 1);
  log.set_listener(nullptr);
  auto more = uplinks(1, 1);
  log.append(more, 1);
  CHECK(calls == 1);
}

}  // namespace kite::server::events
