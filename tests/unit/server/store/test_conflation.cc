// Conflation: a newer message with the same key replaces the queued one (latest state wins).
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("a conflation key replaces the device's queued message with that key", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  CHECK_FALSE(store->enqueue("dev", keyed("20C", "temperature"), kNow).replaced);
  store->enqueue("dev", keyed("40%", "humidity"), kNow);
  store->enqueue("other", keyed("19C", "temperature"), kNow);  // keys are per device
  auto result = store->enqueue("dev", keyed("21C", "temperature"), kNow);
  CHECK(result.status == Status::Queued);
  CHECK(result.seq == 3);
  CHECK(result.replaced);

  auto queue = read_all(*store, "dev");
  REQUIRE(seqs_of(queue) == Seqs{2, 3});
  CHECK(queue[1].payload == "21C");
  CHECK(queue[1].conflation_key == "temperature");
  CHECK(queued_seqs(*store, "other") == Seqs{1});
  auto info = store->info("dev");
  CHECK(info.queued_messages == 2);
  CHECK(info.queued_bytes == (3 + 8) + (3 + 11));
  CHECK(store->stats().conflated == 1);
  CHECK(store->stats().messages == 3);
}

TEST_CASE_TEMPLATE("once the keyed message is acked, the key starts afresh", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  store->enqueue("dev", keyed("on", "power"), kNow);
  store->ack("dev", 1);
  auto result = store->enqueue("dev", keyed("off", "power"), kNow);
  CHECK_FALSE(result.replaced);
  CHECK(queued_seqs(*store, "dev") == Seqs{2});
  CHECK(store->enqueue("dev", keyed("on", "power"), kNow).replaced);
  CHECK(queued_seqs(*store, "dev") == Seqs{3});
}
