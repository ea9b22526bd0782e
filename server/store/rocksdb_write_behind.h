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
// - A failed flush leaves its writes pending, under any newer writes of the same keys, and is
//   tried again by the next flush.
// - Thread-safe: one mutex guards the pending writes; another serialises flushes. Neither is
//   held while the caller's other locks are taken.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kite::server::store {

class WriteBehind {
 public:
  enum class Lookup : std::uint8_t { Unknown, Deleted, Found };
  // `created_by_put(key)`: a put of this key creates its record (it was never in RocksDB).
  WriteBehind(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events,
              std::function<bool(std::string_view)> created_by_put);
  ~WriteBehind();  // close(), if it was not called
  // Stops the flusher, then flushes what is left: true when nothing was lost.
  bool close(std::string& error);
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Flushes every `interval` on a thread of its own, until destroyed. A failed flush is logged
  // (at most once a second) and tried again at the next one.
  void flush_every(std::chrono::milliseconds interval);

  // Takes every write of `batch` (default and events column families). Returns the generation
  // that will carry them: durable once durable_generation() reaches it.
  std::uint64_t absorb(const rocksdb::WriteBatch& batch);
  // A pending write of `key` (default family): Found with its value, Deleted, or Unknown (ask
  // RocksDB).
  Lookup lookup(const std::string& key, std::string& value) const;
  // Writes everything absorbed so far (fsynced when `sync`), and returns once RocksDB has it.
  bool flush(bool sync, std::string& error);

  std::uint64_t durable_generation() const { return durable_.load(std::memory_order_acquire); }
  // The generation that carries everything absorbed so far.
  std::uint64_t ticket() const;
  std::size_t pending_writes() const;
  // Puts that never had to be written (cancelled by their delete), since start.
  std::uint64_t cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    std::optional<std::string> value;  // nullopt: a delete
    bool created = false;              // a put that created the record, not yet flushed
  };
  using Writes = std::unordered_map<std::string, Pending>;
  struct Absorber;

  void put(std::string key, std::string value);
  void erase(std::string key);
  // With mutex_ held: puts back a failed flush's writes, under the newer ones.
  void restore(Writes& writes, std::vector<std::pair<std::string, std::string>>& events);

  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* const events_family_;
  const std::function<bool(std::string_view)> created_by_put_;

  mutable std::mutex mutex_;  // guards everything below it
  Writes open_;               // absorbed since the last flush began
  Writes flushing_;           // being written by the flush in progress
  std::vector<std::pair<std::string, std::string>> open_events_;
  std::uint64_t generation_ = 1;  // the generation open_ will be written as

  std::mutex flush_mutex_;  // one flush at a time, so generations land in order
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread flusher_;
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<std::uint64_t> cancelled_{0};
};

}  // namespace kite::server::store
