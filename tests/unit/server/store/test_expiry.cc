// TTL: read() never returns an expired message and deletes it; expired messages make room.
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("expired messages are skipped, deleted and counted", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  store->enqueue("dev", with_ttl("short", 1000), kNow);
  store->enqueue("dev", text("forever"), kNow);
  store->enqueue("dev", with_ttl("long", 5000), kNow);

  auto all = read_all(*store, "dev", kNow + 999);
  REQUIRE(seqs_of(all) == Seqs{1, 2, 3});
  CHECK(all[0].expires_at_ms == kNow + 1000);

  CHECK(queued_seqs(*store, "dev", kNow + 1000) == Seqs{2, 3});
  CHECK(store->stats().expired == 1);
  CHECK(store->info("dev").queued_messages == 2);
  CHECK(queued_seqs(*store, "dev", kNow + 60'000) == Seqs{2});
  auto stats = store->stats();
  CHECK(stats.expired == 2);
  CHECK(stats.messages == 1);
  CHECK(stats.bytes == 7);
}

TEST_CASE_TEMPLATE("expired messages at the head make room even under Reject", Store, STORE_KINDS) {
  StoreOptions options;
  options.per_device_messages = 2;
  Store kind;
  auto store = kind.open(options);
  store->enqueue("dev", with_ttl("a", 100), kNow);
  store->enqueue("dev", keyed("b", "k"), kNow);
  CHECK(store->enqueue("dev", text("c"), kNow + 50).status == Status::Full);
  auto result = store->enqueue("dev", text("c"), kNow + 100);
  CHECK(result.status == Status::Queued);
  CHECK(result.dropped_oldest == 0);
  CHECK(queued_seqs(*store, "dev", kNow + 100) == Seqs{2, 3});
  auto stats = store->stats();
  CHECK(stats.expired == 1);
  CHECK(stats.dropped_full == 0);
  CHECK(stats.rejected_full == 1);
}
