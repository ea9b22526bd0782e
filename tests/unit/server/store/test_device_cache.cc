// The engine's per-device cache (device_cache.h): acks answered from the cached queue index must
// free exactly what acks answered by a storage scan free, whatever the queue length, conflation
// keys, or a restart in between.
#include <numeric>

#include "store/device_cache.h"
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store;
using namespace kite::server::store_test;

namespace {

// Queues `count` messages of varying sizes, every 7th with a conflation key of its own; returns
// the size of each (seq i+1 at index i).
std::vector<std::uint64_t> fill(MessageStore& store, std::string_view device, std::size_t count) {
  std::vector<std::uint64_t> sizes;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string payload(1 + i % 13, 'p');
    const std::string key = i % 7 == 3 ? "k" + std::to_string(i) : "";
    auto result = store.enqueue(device, keyed(payload, key), kNow);
    REQUIRE(result.status == Status::Queued);
    REQUIRE(result.seq == i + 1);
    sizes.push_back(payload.size() + key.size());
  }
  return sizes;
}

std::uint64_t sum(const std::vector<std::uint64_t>& sizes, std::size_t from, std::size_t to) {
  return std::accumulate(sizes.begin() + static_cast<std::ptrdiff_t>(from),
                         sizes.begin() + static_cast<std::ptrdiff_t>(to), std::uint64_t{0});
}

}  // namespace

TEST_CASE_TEMPLATE("acks free the same bytes with and without the cached queue index", Store,
                   STORE_KINDS) {
  // 40 stays indexed; 1500 is past CachedDevice::kIndexLimit, so its acks scan storage.
  for (std::size_t count : {std::size_t{40}, CachedDevice::kIndexLimit + 476}) {
    CAPTURE(count);
    Store kind;
    auto store = kind.open();
    const auto sizes = fill(*store, "dev", count);
    store->ack("dev", 2);  // before any keyed message
    CHECK(store->info("dev").queued_bytes == sum(sizes, 2, count));
    store->ack("dev", count / 2);  // over keyed messages
    CHECK(store->info("dev").queued_messages == count - count / 2);
    CHECK(store->info("dev").queued_bytes == sum(sizes, count / 2, count));
    CHECK(store->stats().bytes == sum(sizes, count / 2, count));
    // The keys of acked messages start afresh: a new keyed message replaces nothing.
    CHECK_FALSE(store->enqueue("dev", keyed("again", "k3"), kNow).replaced);
    store->ack("dev", count + 1);
    CHECK(store->info("dev").queued_messages == 0);
    CHECK(store->stats().messages == 0);
    CHECK(store->stats().bytes == 0);
    CHECK(queued_seqs(*store, "dev").empty());
  }
}

TEST_CASE("after a restart, acks of a queue read back from disk free the right bytes") {
  RocksStore kind;
  std::vector<std::uint64_t> sizes;
  {
    auto store = kind.open();
    sizes = fill(*store, "dev", 30);
    store->ack("dev", 5);
  }
  auto store = kind.open();
  store->ack("dev", 20);
  CHECK(store->info("dev").queued_bytes == sum(sizes, 20, 30));
  CHECK(store->stats().bytes == sum(sizes, 20, 30));
  // Queue drained: the index is complete again, and new messages are acked from it.
  store->ack("dev", 30);
  CHECK(store->enqueue("dev", text("abc"), kNow).seq == 31);
  store->ack("dev", 31);
  CHECK(store->stats().messages == 0);
  CHECK(store->stats().bytes == 0);
}

TEST_CASE("a conflated message leaves the index with its storage record") {
  MemoryStore kind;
  auto store = kind.open();
  store->enqueue("dev", keyed("first", "state"), kNow);
  store->enqueue("dev", text("x"), kNow);
  CHECK(store->enqueue("dev", keyed("second!", "state"), kNow).replaced);
  CHECK(store->info("dev").queued_bytes == 1 + 7 + 5);
  store->ack("dev", 3);
  CHECK(store->info("dev").queued_bytes == 0);
  CHECK(store->stats().bytes == 0);
}

TEST_CASE("CachedDevice keeps a complete index only while the queue is short") {
  CachedDevice device;
  device.start_index(true);
  for (std::uint64_t seq = 1; seq <= 10; ++seq) device.append({seq, 1, false});
  device.erase(4);
  device.pop_through(2);
  REQUIRE(device.index_complete());
  std::vector<std::uint64_t> left;
  for (const auto& entry : device.queued()) left.push_back(entry.seq);
  CHECK(left == Seqs{3, 5, 6, 7, 8, 9, 10});

  for (std::uint64_t seq = 11; seq < 11 + CachedDevice::kIndexLimit; ++seq)
    device.append({seq, 1, false});
  CHECK_FALSE(device.index_complete());
  CHECK(device.queued().empty());

  CachedDevice backlog;
  backlog.start_index(false);  // read from storage with messages queued: not known
  backlog.append({1, 1, false});
  CHECK_FALSE(backlog.index_complete());
}
