// Idempotency records have a cap of their own (they outlive the messages for the whole window):
// a new key beyond it is Busy and stores nothing; duplicates and keyless sends still work; the
// count survives a restart and frees itself when the window ends.
#include <string>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {
StoreOptions capped(std::uint64_t records) {
  StoreOptions options;
  options.idempotency_records = records;
  options.idempotency_window_ms = 60'000;
  return options;
}
}  // namespace

TEST_CASE_TEMPLATE("new idempotency keys beyond the cap are refused", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open(capped(3));
  for (int i = 0; i < 3; ++i)
    REQUIRE(store->enqueue("dev", keyed("x", {}, "k" + std::to_string(i)), kNow).status ==
            Status::Queued);
  auto refused = store->enqueue("dev", keyed("x", {}, "k3"), kNow);
  CHECK(refused.status == Status::Busy);
  CHECK(!refused.error.empty());
  CHECK(store->enqueue("dev", keyed("x", {}, "k0"), kNow).status == Status::Duplicate);
  CHECK(store->enqueue("dev", text("no key"), kNow).status == Status::Queued);
  auto stats = store->stats();
  CHECK(stats.idempotency_records == 3);
  CHECK(stats.idempotency_refused == 1);
  CHECK(store->info("dev").queued_messages == 4);

  // The window ends: the records no longer count, and new keys are taken again.
  CHECK(store->enqueue("dev", keyed("x", {}, "k4"), kNow + 61'000).status == Status::Queued);
}

TEST_CASE("the idempotency records count survives a restart") {
  RocksStore kind;
  {
    auto store = kind.open(capped(2));
    store->enqueue("a", keyed("x", {}, "k1"), kNow);
    store->enqueue("b", keyed("x", {}, "k2"), kNow);
  }
  auto store = kind.open(capped(2));
  CHECK(store->stats().idempotency_records == 2);
  CHECK(store->enqueue("c", keyed("x", {}, "k3"), kNow).status == Status::Busy);
}
