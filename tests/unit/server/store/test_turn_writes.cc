// What a worker writes for its devices outside enqueue: a loop turn's acks and QoS 1 uplink seqs
// in ONE write, and the discard of a message too large for its device (dropped, never acked).
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
  REQUIRE(store->write_turn(acks, uplinks));
  CHECK(store->stats().writes == before + 1);
  CHECK(store->uplink_last_received("dev-0") == 100);
  CHECK(store->uplink_last_received("dev-49") == 149);
  CHECK(store->info("a").acked_through == 2);
  CHECK(store->stats().acked == 2);
  CHECK(queued_seqs(*store, "a") == Seqs{3});
}

TEST_CASE("uplink seqs written with a turn survive a restart") {
  RocksStore kind;
  {
    StoreOptions options;
    options.durability = Durability::Sync;
    auto store = kind.open(options);
    const Marks uplinks{{"dev", 41}, {"other", 7}};
    REQUIRE(store->write_turn({}, uplinks));
  }
  auto store = kind.open();
  CHECK(store->uplink_last_received("dev") == 41);
  CHECK(store->uplink_last_received("other") == 7);
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
