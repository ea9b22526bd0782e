// Caps per device and global, under both full policies: counted, reported, never silent.
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {

StoreOptions small_caps(FullPolicy policy) {
  StoreOptions options;
  options.per_device_messages = 3;
  options.per_device_bytes = 100;
  options.global_messages = 5;
  options.global_bytes = 1000;
  options.full_policy = policy;
  return options;
}

}  // namespace

TEST_CASE_TEMPLATE("Reject: a full device refuses new messages and keeps its queue", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open(small_caps(FullPolicy::Reject));
  for (int i = 0; i < 3; ++i)
    REQUIRE(store->enqueue("dev", text("x"), kNow).status == Status::Queued);
  auto refused = store->enqueue("dev", text("x"), kNow);
  CHECK(refused.status == Status::Full);
  CHECK(refused.seq == 0);
  CHECK(queued_seqs(*store, "dev") == Seqs{1, 2, 3});
  CHECK(store->stats().rejected_full == 1);

  store->ack("dev", 1);  // room again; the refused message used no seq
  CHECK(store->enqueue("dev", text("x"), kNow).seq == 4);

  const std::string sixty(60, 'p');
  CHECK(store->enqueue("bytes", text(sixty), kNow).status == Status::Queued);
  CHECK(store->enqueue("bytes", text(sixty), kNow).status == Status::Full);
}

TEST_CASE_TEMPLATE("DropOldest: the oldest messages of that device make room", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open(small_caps(FullPolicy::DropOldest));
  for (int i = 0; i < 3; ++i) store->enqueue("dev", keyed("x", i == 0 ? "k" : ""), kNow);
  auto result = store->enqueue("dev", text("y"), kNow);
  CHECK(result.status == Status::Queued);
  CHECK(result.dropped_oldest == 1);
  CHECK(queued_seqs(*store, "dev") == Seqs{2, 3, 4});
  // The dropped message's conflation key went with it.
  CHECK_FALSE(store->enqueue("dev", keyed("z", "k"), kNow).replaced);

  const std::string forty(40, 'f'), ninety(90, 'n');
  store->enqueue("bytes", text(forty), kNow);
  store->enqueue("bytes", text(forty), kNow);
  result = store->enqueue("bytes", text(ninety), kNow);
  CHECK(result.dropped_oldest == 2);
  CHECK(queued_seqs(*store, "bytes") == Seqs{3});
  auto stats = store->stats();
  CHECK(stats.dropped_full == 4);
  CHECK(stats.messages == 4);
  CHECK(stats.bytes == 1 + 1 + (1 + 1) + 90);  // x, y, z with its key, ninety
}

TEST_CASE_TEMPLATE("a message larger than the device byte cap is always refused", Store,
                   STORE_KINDS) {
  for (auto policy : {FullPolicy::Reject, FullPolicy::DropOldest}) {
    Store kind;
    auto store = kind.open(small_caps(policy));
    store->enqueue("dev", text("keep"), kNow);
    const std::string too_big(101, 'x');
    CHECK(store->enqueue("dev", text(too_big), kNow).status == Status::Full);
    CHECK(queued_seqs(*store, "dev") == Seqs{1});
  }
}

TEST_CASE_TEMPLATE("global caps: Reject refuses; DropOldest drops only the sender's messages",
                   Store, STORE_KINDS) {
  for (auto policy : {FullPolicy::Reject, FullPolicy::DropOldest}) {
    CAPTURE(static_cast<int>(policy));
    Store kind;
    auto store = kind.open(small_caps(policy));
    for (int i = 0; i < 3; ++i) store->enqueue("a", text("x"), kNow);
    for (int i = 0; i < 2; ++i) store->enqueue("b", text("x"), kNow);
    REQUIRE(store->stats().messages == 5);

    // "c" has nothing of its own to drop: refused under either policy.
    CHECK(store->enqueue("c", text("x"), kNow).status == Status::Full);
    auto from_b = store->enqueue("b", text("x"), kNow);
    if (policy == FullPolicy::Reject) {
      CHECK(from_b.status == Status::Full);
      CHECK(queued_seqs(*store, "b") == Seqs{1, 2});
    } else {
      CHECK(from_b.status == Status::Queued);
      CHECK(from_b.dropped_oldest == 1);
      CHECK(queued_seqs(*store, "b") == Seqs{2, 3});
    }
    CHECK(queued_seqs(*store, "a") == Seqs{1, 2, 3});
    CHECK(store->stats().messages == 5);
  }
}

TEST_CASE_TEMPLATE("the global byte cap counts every device", Store, STORE_KINDS) {
  StoreOptions options = small_caps(FullPolicy::Reject);
  options.global_messages = 100;
  options.global_bytes = 150;
  Store kind;
  auto store = kind.open(options);
  const std::string eighty(80, 'e');
  CHECK(store->enqueue("a", text(eighty), kNow).status == Status::Queued);
  CHECK(store->enqueue("b", text(eighty), kNow).status == Status::Full);
  store->ack("a", 1);
  CHECK(store->enqueue("b", text(eighty), kNow).status == Status::Queued);
  CHECK(store->stats().bytes == 80);
}
