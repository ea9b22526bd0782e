// Write-behind for the RocksDB backend: committed writes wait in memory and reach RocksDB
// together, in one write per group commit. A record created and deleted before its write was
// due (a message delivered and acknowledged within the interval) never reaches RocksDB at all:
// the put and the delete cancel. That is the point. A durable message's cost is mostly
// RocksDB's memtable inserts (docs/benchmarks.md, issue 21), four per message that keeps up.
//
// Rules it keeps:
// - Readers see pending writes: lookup() answers from them before RocksDB is asked, and a write
//   being flushed stays visible until RocksDB has it.
// - Order: a flush writes everything absorbed before it in one atomic WriteBatch, and flushes
//   are serialised, so every generation becomes durable after all the earlier ones.
// - A put cancels against a later delete only when its key was absorbed as created here (a
//   message record: a seq is never reused) and has not been flushed since. Any other delete is
//   kept, to be written.
// - Settle groups: the records one caller's commits create (a service's read of publishes) form a
//   group, settled once every one of them was deleted before its write was due by its device's
//   acknowledgement (absorb's `device_acks`). Any other delete of one (expiry, a full queue's
//   drop, a replacement) leaves the group unsettled for good. A settled group needs no write to be
//   final, so its caller may answer without waiting for the flush. A flush closes every group
//   opened before it to settling (its records are on their way to disk): their callers wait for
//   durable_generation() instead, which that flush brings.
// - A failed flush leaves its writes pending, under any newer writes of the same keys, and is
//   tried again by the next flush.
// - Thread-safe: one mutex guards the pending writes; another serialises flushes. Neither is
//   held while the caller's other locks are taken.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/pending_index.h"

namespace kite::server::store {

// When an idle kited gives its write buffers back (WriteBehind::tidy()): after `quiet_for`
// without a deferred write, if RocksDB's memtables hold at least `min_memtable_entries` (a
// memtable's memory is counted in whole arena blocks, so its entries say better whether it is
// worth an SST file of its own: 10,000 connect events are about 1 MB).
struct WriteBehindSettling {
  std::chrono::milliseconds quiet_for = std::chrono::seconds(10);
  std::uint64_t min_memtable_entries = 10'000;
};

class WriteBehind {
 public:
  enum class Lookup : std::uint8_t { Unknown, Deleted, Found };
  using Settling = WriteBehindSettling;
  // `created_by_put(key)`: a put of this key creates its record (it was never in RocksDB).
  WriteBehind(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events,
              std::function<bool(std::string_view)> created_by_put, Settling settling = {});
  ~WriteBehind();  // close(), if it was not called
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Flushes every `interval` on a thread of its own, until close(). A failed flush is logged (at
  // most once a second) and tried again at the next one.
  void flush_every(std::chrono::milliseconds interval);
  // Stops the flusher, then flushes what is left: true when nothing was lost.
  bool close(std::string& error);

  // Takes a transaction's batch: puts and deletes, and range deletions of the events family (the
  // event log's trimming, written after the events before it); false, and nothing taken, for
  // any other kind of write. Its bytes stay where they are: the pending writes index them.
  // `group` (from open_group(), or 0 for none) counts the records the batch creates;
  // `device_acks`: its deletes are devices' acknowledgements, which settle.
  bool absorb(rocksdb::WriteBatch batch, std::uint64_t group = 0, bool device_acks = false);
  // A settle group: open, absorb its commits, close; settled() once all its records are deleted.
  std::uint64_t open_group();
  void close_group(std::uint64_t group);
  bool settled(std::uint64_t group) const;
  // A pending write of `key` (default family): Found with its value, Deleted, or Unknown (ask
  // RocksDB).
  Lookup lookup(const std::string& key, std::string& value) const;
  // Whether a pending write (default family) has a key starting with `kind`: a reader of only
  // those records need not wait for a flush when none does.
  bool holds_kind(char kind) const;
  // Writes everything absorbed so far (fsynced when `sync`), and returns once RocksDB has it.
  bool flush(bool sync, std::string& error);
  // One interval of the flusher (flush_every()): flush(), and after a whole interval with nothing
  // written, memory given back (tidy()).
  bool flush_interval(std::string& error);

  // Deferred commits should be written at once instead: the last flush failed (a full disk), or
  // more than kMaxPending writes wait. So a failing disk is answered with errors, as without
  // write-behind, and what waits in memory stays bounded.
  static constexpr std::size_t kMaxPending = 1u << 18;
  bool backlogged() const;

  // The generation that carries everything absorbed so far, and the last one RocksDB has.
  std::uint64_t ticket() const;
  std::uint64_t durable_generation() const { return durable_.load(std::memory_order_acquire); }
  std::size_t pending_writes() const;
  // Keys the open generation's index holds room for: sized like the last generation while
  // writes come, nothing once an interval passed without any.
  std::size_t reserved_keys() const;
  // Puts that never had to be written (cancelled by their delete), since start.
  std::uint64_t cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  struct Group {
    std::uint32_t waiting = 0;  // records created, not yet acknowledged
    bool open = true;
    bool unsettled = false;  // one of its records was deleted otherwise: never settles
  };
  using Index = PendingIndex;
  // Batches absorbed, in order, and the index into them. Each batch is on the heap, so the
  // index's views stay valid until the batch is written.
  struct Pending {
    std::vector<std::unique_ptr<rocksdb::WriteBatch>> batches;
    Index index;
    std::bitset<256> kinds;  // the first bytes of the keys written (default family)
    bool empty() const { return batches.empty(); }
  };
  struct Indexer;
  struct Writer;
  // `group`'s slot (as Latest::group), or 0 once a flush closed it (mutex_ held).
  std::uint32_t slot_of(std::uint64_t group) const;
  void tidy();
  std::uint64_t memtable_entries() const;  // both families', not yet flushed

  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* const events_family_;
  const std::function<bool(std::string_view)> created_by_put_;
  const Settling settling_;

  mutable std::mutex mutex_;      // guards open_, flushing_'s index lookups and generation_
  Pending open_;                  // absorbed since the last flush began
  Pending flushing_;              // being written by the flush in progress
  std::uint64_t generation_ = 1;  // the generation open_ will be written as
  // The settle groups opened since the last flush began; groups_[i] has id groups_base_ + i. A
  // flush clears them: an older id is never settled.
  std::vector<Group> groups_;
  std::uint64_t groups_base_ = 1;

  std::mutex flush_mutex_;                // one flush at a time, so generations land in order
  std::size_t last_generation_keys_ = 0;  // guarded by flush_mutex_
  std::chrono::steady_clock::time_point last_trim_{};   // guarded by flush_mutex_
  std::chrono::steady_clock::time_point last_write_{};  // of a generation; flush_mutex_
  // Since the last generation written: Busy until the quiet spell, then the memtables are
  // Flushed, then the allocator's free memory given back (Settled). Guarded by flush_mutex_.
  enum class Quiet : std::uint8_t { Busy, Flushed, Settled };
  Quiet quiet_ = Quiet::Settled;
  std::uint64_t tidied_generation_ = 0;  // generation_ at tidy()'s last look; flush_mutex_
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread flusher_;
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<std::uint64_t> cancelled_{0};
  std::atomic<bool> failing_{false};  // the last flush failed
};

}  // namespace kite::server::store
