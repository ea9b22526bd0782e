// What a worker writes for its devices outside enqueue: a loop turn's acks, QoS 1 uplink seqs
// and events in ONE write; the event log kept across restarts and trimmed; and the discard of a
// message too large for its device (dropped, never acked).
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

using Marks = std::vector<std::pair<std::string_view, std::uint64_t>>;

TEST_CASE_TEMPLATE("a turn's acks and uplink seqs are one write", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  for (int i = 0; i < 3; ++i) store->enqueue("a", text("x"), kNow);
  std::vector<std::string> devices;
  for (int i = 0; i < 50; ++i) devices.push_back("dev-" + std::to_string(i));
  Marks uplinks;
  for (int i = 0; i < 50; ++i) uplinks.emplace_back(devices[i], 100 + i);
  const Marks acks{{"a", 2}};

  const auto before = store->stats().writes;
  REQUIRE(store->write_turn(acks, uplinks, {}));
  CHECK(store->stats().writes == before + 1);
  CHECK(store->info("dev-0").uplink_last_received == 100);
  CHECK(store->info("dev-49").uplink_last_received == 149);
  CHECK(store->info("a").acked_through == 2);
  CHECK(store->stats().acked == 2);
  CHECK(queued_seqs(*store, "a") == Seqs{3});
}

TEST_CASE_TEMPLATE("uplink seqs written with a turn survive a restart", Store,
                   DURABLE_STORE_KINDS) {
  Store kind;
  {
    StoreOptions options;
    options.durability = Durability::Sync;
    auto store = kind.open(options);
    const Marks uplinks{{"dev", 41}, {"other", 7}};
    REQUIRE(store->write_turn({}, uplinks, {}));
  }
  auto store = kind.open();
  CHECK(store->info("dev").uplink_last_received == 41);
  CHECK(store->info("other").uplink_last_received == 7);
}

TEST_CASE_TEMPLATE("a discarded message is dropped, not acked, and a later ack skips it", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  for (int i = 0; i < 3; ++i) store->enqueue("dev", text("abc"), kNow);
  store->discard("dev", 2);
  CHECK(queued_seqs(*store, "dev") == Seqs{1, 3});
  auto stats = store->stats();
  CHECK(stats.dropped_too_large == 1);
  CHECK(stats.acked == 0);
  CHECK(stats.messages == 2);
  CHECK(stats.bytes == 6);
  CHECK(store->info("dev").queued_messages == 2);

  store->ack("dev", 3);  // the device's cumulative ack covers the hole
  stats = store->stats();
  CHECK(stats.acked == 2);  // 1 and 3, not the discarded one
  CHECK(stats.messages == 0);
  store->discard("dev", 2);  // gone already: nothing counted twice
  CHECK(store->stats().dropped_too_large == 1);
}

namespace {
struct HeldEvent {
  std::uint64_t id;
  std::int64_t time_ms;
  std::uint8_t type;
  std::string device, data;
  bool operator==(const HeldEvent&) const = default;
};

std::vector<HeldEvent> held_events(MessageStore& store) {
  std::vector<HeldEvent> out;
  store.for_each_event([&](const EventRecord& e) {
    out.push_back({e.id, e.time_ms, e.type, std::string(e.device), std::string(e.data)});
  });
  return out;
}
}  // namespace

TEST_CASE_TEMPLATE(
    "a turn's events are one write with its uplinks, survive a restart and trim by id", Store,
    DURABLE_STORE_KINDS) {
  Store kind;
  const std::string big(100'000, 'x');  // an uplink's payload can be large
  {
    StoreOptions options;
    options.durability = Durability::Sync;
    auto store = kind.open(options);
    const Marks uplinks{{"dev", 9}};
    const EventRecord events[] = {
        {1000, 5, 0, "dev", "{\"a\":1}"}, {1001, 6, 2, "other", big}, {1002, 7, 1, "dev", ""}};
    const auto before = store->stats().writes;
    REQUIRE(store->write_turn({}, uplinks, events));
    CHECK(store->stats().writes == before + 1);
  }
  auto store = kind.open();
  CHECK(store->info("dev").uplink_last_received == 9);
  const std::vector<HeldEvent> all{
      {1000, 5, 0, "dev", "{\"a\":1}"}, {1001, 6, 2, "other", big}, {1002, 7, 1, "dev", ""}};
  CHECK(held_events(*store) == all);
  store->trim_events(1001);
  CHECK(held_events(*store) == std::vector<HeldEvent>{all[2]});
  store->trim_events(std::numeric_limits<std::uint64_t>::max());
  CHECK(held_events(*store).empty());
}

TEST_CASE("the memory store keeps no events: nothing of it outlives the process anyway") {
  auto store = make_memory_store({});
  const EventRecord events[] = {{1, 5, 0, "dev", "{}"}};
  CHECK(store->write_turn({}, {}, events));
  CHECK(held_events(*store).empty());
}
