// Idempotency keys: a retried send within the window is answered with the original, not stored.
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("a repeated idempotency key answers Duplicate with the original", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  auto first = store->enqueue("dev", keyed("reboot", "", "req-1"), kNow);
  REQUIRE(first.status == Status::Queued);
  auto again = store->enqueue("dev", keyed("reboot", "", "req-1"), kNow + 10);
  CHECK(again.status == Status::Duplicate);
  CHECK(again.seq == first.seq);
  CHECK(again.message_id == first.message_id);
  CHECK(store->info("dev").queued_messages == 1);
  CHECK(store->stats().duplicates == 1);

  store->ack("dev", first.seq);  // delivered and acked: a retry is still the same message
  CHECK(store->enqueue("dev", keyed("reboot", "", "req-1"), kNow + 20).status == Status::Duplicate);
  CHECK(store->enqueue("other", keyed("reboot", "", "req-1"), kNow).status == Status::Queued);
}

TEST_CASE_TEMPLATE("an idempotency key is forgotten when its window ends", Store, STORE_KINDS) {
  StoreOptions options;
  options.idempotency_window_ms = 1000;
  Store kind;
  auto store = kind.open(options);
  store->enqueue("dev", keyed("x", "", "req"), kNow);
  CHECK(store->enqueue("dev", keyed("x", "", "req"), kNow + 999).status == Status::Duplicate);
  auto later = store->enqueue("dev", keyed("x", "", "req"), kNow + 1000);
  CHECK(later.status == Status::Queued);
  CHECK(later.seq == 2);
  // The new message opened a new window.
  CHECK(store->enqueue("dev", keyed("x", "", "req"), kNow + 1999).seq == 2);
}
