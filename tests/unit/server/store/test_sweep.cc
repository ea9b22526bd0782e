// sweep(): expired messages leave every queue, read or not; fallback deadlines fire once for
// messages still unacknowledged; every removal leaves one notice; caps get their room back.
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {

NewMessage with_ttl(std::string_view payload, std::uint64_t ttl_ms) {
  NewMessage message = text(payload);
  message.ttl_ms = ttl_ms;
  return message;
}

NewMessage with_fallback(std::string_view payload, std::uint64_t after_ms, bool cancel) {
  NewMessage message = text(payload);
  message.fallback_after_ms = after_ms;
  message.fallback_cancel = cancel;
  return message;
}

std::vector<MessageNotice> notices_of(MessageStore& store) {
  std::vector<MessageNotice> out;
  store.take_notices(out);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("sweep removes expired messages of devices that never read", Store,
                   STORE_KINDS) {
  StoreOptions options;
  options.global_messages = 100;
  Store kind;
  auto store = kind.open(options);
  for (int i = 0; i < 30; ++i) {
    const std::string device = "dev-" + std::to_string(i % 10);
    REQUIRE(store->enqueue(device, with_ttl("x", 1000), kNow).status == Status::Queued);
  }
  store->enqueue("dev-0", text("kept"), kNow);
  const std::string first_id = read_all(*store, "dev-1", kNow).front().message_id;

  CHECK(store->sweep(kNow + 999, 512).visited == 0);  // nothing due yet
  SweepResult first = store->sweep(kNow + 1000, 16);
  CHECK(first.visited == 16);
  CHECK(first.more);
  CHECK(first.expired == 16);
  SweepResult rest = store->sweep(kNow + 1000, 16);
  CHECK(rest.expired == 14);
  CHECK_FALSE(rest.more);
  CHECK(store->sweep(kNow + 1000, 16).visited == 0);  // index entries went with them

  auto stats = store->stats();
  CHECK(stats.messages == 1);  // the global cap has its room back
  CHECK(stats.swept == 30);
  CHECK(stats.expired == 30);
  CHECK(store->info("dev-1").queued_messages == 0);
  CHECK(queued_seqs(*store, "dev-0", kNow + 2000) == Seqs{4});

  auto notices = notices_of(*store);
  REQUIRE(notices.size() == 30);
  std::size_t of_dev1 = 0;
  for (const auto& notice : notices) {
    CHECK(notice.kind == MessageNotice::Kind::Expired);
    CHECK(notice.enqueued_at_ms == kNow);
    CHECK(notice.at_ms == kNow + 1000);
    if (notice.device == "dev-1" && notice.seq == 1) CHECK(notice.message_id == first_id);
    of_dev1 += notice.device == "dev-1";
  }
  CHECK(of_dev1 == 3);
  CHECK(notices_of(*store).empty());  // taken once
}

TEST_CASE_TEMPLATE("sweep skips what was acked or removed before its deadline", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  store->enqueue("dev", with_ttl("acked", 1000), kNow);
  store->enqueue("dev", with_fallback("acked too", 500, true), kNow);
  store->ack("dev", 2);
  auto result = store->sweep(kNow + 5000, 512);
  CHECK(result.visited == 2);  // stale entries, deleted
  CHECK(result.expired == 0);
  CHECK(result.fallbacks == 0);
  CHECK(notices_of(*store).empty());
  CHECK(store->stats().undelivered == 0);
}

TEST_CASE_TEMPLATE("a fallback deadline raises one notice and keeps or cancels", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  store->enqueue("dev", with_fallback("keep me", 1000, false), kNow);
  store->enqueue("dev", with_fallback("cancel me", 1000, true), kNow);
  store->enqueue("dev", with_fallback("late", 5000, true), kNow);
  CHECK(store->sweep(kNow + 999, 512).fallbacks == 0);
  auto result = store->sweep(kNow + 1000, 512);
  CHECK(result.fallbacks == 2);
  CHECK(queued_seqs(*store, "dev", kNow + 1000) == Seqs{1, 3});
  auto notices = notices_of(*store);
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].kind == MessageNotice::Kind::Undelivered);
  CHECK(notices[0].seq == 1);
  CHECK_FALSE(notices[0].cancelled);
  CHECK(notices[1].seq == 2);
  CHECK(notices[1].cancelled);
  CHECK(notices[1].message_id.size() == 26);
  CHECK(store->sweep(kNow + 2000, 512).visited == 0);  // each deadline fires once
  auto stats = store->stats();
  CHECK(stats.undelivered == 2);
  CHECK(stats.cancelled == 1);
  CHECK(stats.messages == 2);
}

TEST_CASE_TEMPLATE("dropped and replaced messages leave notices", Store, STORE_KINDS) {
  StoreOptions options;
  options.per_device_messages = 1;
  options.full_policy = FullPolicy::DropOldest;
  Store kind;
  auto store = kind.open(options);
  const auto first = store->enqueue("dev", text("first"), kNow);
  store->enqueue("dev", text("second"), kNow + 1);
  store->enqueue("dev", keyed("third", "k"), kNow + 2);
  store->enqueue("dev", keyed("fourth", "k"), kNow + 3);
  auto notices = notices_of(*store);
  REQUIRE(notices.size() == 3);
  CHECK(notices[0].kind == MessageNotice::Kind::Dropped);
  CHECK(std::string(notices[0].reason) == "queue_full");
  CHECK(notices[0].message_id == first.message_id);
  CHECK(notices[0].at_ms == kNow + 1);
  CHECK(notices[1].kind == MessageNotice::Kind::Dropped);
  CHECK(notices[2].kind == MessageNotice::Kind::Replaced);
  CHECK(notices[2].seq == 3);
}

TEST_CASE("sweep deadlines survive a restart") {
  RocksStore kind;
  {
    auto store = kind.open();
    store->enqueue("dev", with_ttl("x", 1000), kNow);
    store->enqueue("dev", with_fallback("y", 2000, false), kNow);
  }
  auto store = kind.open();
  CHECK(store->sweep(kNow + 1000, 512).expired == 1);
  CHECK(store->sweep(kNow + 2000, 512).fallbacks == 1);
  CHECK(store->info("dev").queued_messages == 1);
}
