// The RocksDB Backend behind open_rocksdb_store(): kited's default store, in the data directory.
//
// Rules: a Transaction's reads see its own writes and commit() is one atomic DB::Write
// (WriteOptions.sync under Sync durability); RocksDB's group commit merges the writes of concurrent
// devices. Writes go to a plain WriteBatch; only a read that follows a write moves them into a
// WriteBatchWithIndex (which indexes every write: 10% of kited's CPU when paid on the hot path,
// where the engine's cache leaves no reads at all). The epoch is written, fsynced, when the store
// is created. At open the global totals are summed from the per-device meta records, not from the
// messages. The file kited.pid names the process that holds the directory, so a second kited can
// say who it is. The event log's records live in a column family of their own (rocksdb_tuning.h).
// The store's directory is 0700. On a storage error (a full disk) resume() calls
// DB::Resume(), which RocksDB needs before it accepts writes again.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include <filesystem>
#include <fstream>
#include <limits>

#include "common/log.h"
#include "store/queue_engine.h"
#include "store/random_ids.h"
#include "store/record_codec.h"
#include "store/rocksdb_transaction.h"
#include "store/rocksdb_tuning.h"

namespace kite::server::store {
namespace {

using records::Kind;

// The record saying the store was closed cleanly: written, fsynced, as the last act of a
// close; deleted, fsynced, at open, before anything else is written.
bool mark_closed(rocksdb::DB& db, bool closed) {
  rocksdb::WriteOptions options;
  options.sync = true;
  const std::string key(1, static_cast<char>(Kind::ClosedCleanly));
  const auto status = closed ? db.Put(options, key, rocksdb::Slice()) : db.Delete(options, key);
  if (!status.ok()) KITE_LOG(error, "store.mark_failed", {{"error", status.ToString()}});
  return status.ok();
}

bool was_closed_cleanly(rocksdb::DB& db) {
  std::string value;
  const std::string key(1, static_cast<char>(Kind::ClosedCleanly));
  return db.Get(rocksdb::ReadOptions(), key, &value).ok() && mark_closed(db, false);
}

class RocksBackend final : public Backend {
 public:
  // `write_behind_ms` > 0: deferred commits wait in memory that long (rocksdb_write_behind.h).
  RocksBackend(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> families,
               std::uint64_t epoch, std::string directory, std::uint32_t write_behind_ms,
               bool closed_cleanly)
      : db_(std::move(db)),
        families_(std::move(families)),
        events_(families_.at(1)),
        epoch_(epoch),
        directory_(std::move(directory)),
        closed_cleanly_(closed_cleanly) {
    if (write_behind_ms == 0) return;
    // A message record is created by its one put: a seq is never given twice.
    behind_ = std::make_unique<WriteBehind>(*db_, events_, [](std::string_view key) {
      return !key.empty() && key.front() == static_cast<char>(Kind::Message);
    });
    behind_->flush_every(std::chrono::milliseconds(write_behind_ms));
  }
  ~RocksBackend() override {
    // Everything written: the next open may trust each device's last_seq (closed_cleanly()).
    std::string error;
    if (behind_ && !behind_->close(error))
      KITE_LOG(error, "store.write_behind_failed", {{"error", error}});
    else
      mark_closed(*db_, true);
    behind_.reset();
    for (auto* family : families_) db_->DestroyColumnFamilyHandle(family);
    if (auto status = db_->Close(); !status.ok()) {
      KITE_LOG(error, "store.close_failed", {{"error", status.ToString()}});
    }
  }

  std::unique_ptr<Transaction> begin() override {
    return std::make_unique<RocksTransaction>(*db_, events_, behind_.get());
  }
  std::uint64_t epoch() const override { return epoch_; }
  bool closed_cleanly() const override { return closed_cleanly_; }
  std::uint64_t unwritten() const override { return behind_ ? behind_->cancelled() : 0; }
  std::uint64_t write_ticket() const override { return behind_ ? behind_->ticket() : 0; }
  bool written(std::uint64_t ticket) const override {
    return !behind_ || behind_->durable_generation() >= ticket;
  }
  std::uint64_t open_settle_group() override { return behind_ ? behind_->open_group() : 0; }
  void close_settle_group(std::uint64_t group) override {
    if (behind_) behind_->close_group(group);
  }
  bool settled(std::uint64_t group) const override { return behind_ && behind_->settled(group); }
  bool flush_pending(std::string& error) override {
    return !behind_ || behind_->flush(false, error);
  }

  bool put_member(std::string_view group, std::string_view device, bool member, bool sync,
                  std::string& error) override {
    rocksdb::WriteOptions options;
    options.sync = sync;
    const std::string key = records::keyed(Kind::Member, group, device);
    const auto status =
        member ? db_->Put(options, key, rocksdb::Slice()) : db_->Delete(options, key);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }

  bool put_consumer_group(std::string_view group, std::string_view cursors,
                          std::string& error) override {
    const auto status = db_->Put(rocksdb::WriteOptions(),
                                 records::device_prefix(Kind::ConsumerGroup, group), cursors);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }

  void scan_consumer_groups(
      const std::function<void(std::string_view, std::string_view)>& visit) override {
    settle();
    for_each_of_kind(Kind::ConsumerGroup, "store.consumer_groups_failed",
                     [&](std::string_view key, std::string_view value) {
                       if (key.size() > 3) visit(key.substr(3), value);
                     });
  }

  void scan_members(const std::function<void(std::string_view, std::string_view)>& visit) override {
    settle();
    for_each_of_kind(Kind::Member, "store.members_failed",
                     [&](std::string_view key, std::string_view) {
                       std::string_view group, device;
                       if (records::split_member_key(key, group, device)) visit(group, device);
                     });
  }

  void scan_events(const std::function<void(const EventRecord&)>& visit) override {
    settle();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      EventRecord event;
      if (records::decode(it->key().ToStringView(), it->value().ToStringView(), event))
        visit(event);
      else
        KITE_LOG(warn, "store.event_undecodable", {{"bytes", it->value().size()}});
    }
    if (!it->status().ok())
      KITE_LOG(error, "store.events_scan_failed", {{"error", it->status().ToString()}});
  }

  // One range tombstone for everything retention dropped: trimming costs one write, not one
  // delete per event. With write-behind it waits with the events it follows (some of those it
  // covers may still be waiting), instead of making them all land first.
  bool delete_events_through(std::uint64_t id, std::string& error) override {
    const std::string from = records::event_key(0);
    const std::string to = id == std::numeric_limits<std::uint64_t>::max()
                               ? std::string(1, static_cast<char>(Kind::Event) + 1)
                               : records::event_key(id + 1);
    // Even when the write-behind is behind or failing: a range deletion adds nothing to its
    // index, and written at once it could land under events it covers that still wait.
    if (behind_) {
      rocksdb::WriteBatch batch;
      if (batch.DeleteRange(events_, from, to).ok() && behind_->absorb(std::move(batch)))
        return true;
    }
    if (behind_ && !behind_->flush(false, error)) return false;
    const auto status = db_->DeleteRange(rocksdb::WriteOptions(), events_, from, to);
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }

  void scan_deadlines(const Deadline* after, std::uint64_t through_ms, std::size_t max,
                      const std::function<void(const Deadline&)>& visit) override {
    // Every second, from the sweeper: a flush out of turn only when a deadline waits in memory.
    if (behind_ && behind_->holds_kind(static_cast<char>(Kind::Deadline))) settle();
    const std::string upper = records::deadline_key_prefix(through_ms + 1);
    const rocksdb::Slice upper_bound(upper);
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper_bound;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
    std::size_t visited = 0;
    const std::string from =
        after ? records::deadline_key(*after) : records::deadline_key_prefix(0);
    it->Seek(from);
    if (after && it->Valid() && it->key() == rocksdb::Slice(from)) it->Next();
    for (; it->Valid() && visited < max; it->Next()) {
      Deadline deadline;
      if (!records::decode_deadline(it->key().ToStringView(), it->value().ToStringView(), deadline))
        continue;
      visit(deadline);
      ++visited;
    }
    if (!it->status().ok())
      KITE_LOG(error, "store.deadlines_scan_failed", {{"error", it->status().ToString()}});
  }

  // Deleted records keep their disk space until a compaction passes over them; after a large
  // sweep that may be never (an idle store compacts nothing), so do it now, in the background
  // thread that swept.
  void reclaim() override {
    settle();
    // Every column family: the WAL files are deleted only once no memtable needs them.
    auto status = db_->Flush(rocksdb::FlushOptions(), families_);
    if (status.ok()) status = db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    if (!status.ok()) KITE_LOG(warn, "store.reclaim_failed", {{"error", status.ToString()}});
  }

  void scan_idempotency(const std::function<void(std::uint64_t)>& visit) override {
    settle();
    for_each_of_kind(Kind::Idempotency, "store.idempotency_scan_failed",
                     [&](std::string_view, std::string_view value) {
                       std::uint64_t expires_at_ms = 0;
                       if (records::read_u64(value, expires_at_ms)) visit(expires_at_ms);
                     });
  }

  // After a background error (a full disk: a flush or WAL write got ENOSPC) RocksDB refuses every
  // write until resumed; Resume() fails while there is still no room, and is cheap to retry.
  // Free space of the store's filesystem, read at most every 100 ms. The reserve is 64 MiB for
  // enqueues and 16 MiB for deletions, or 10% and 2.5% of a smaller filesystem.
  std::string no_room(bool grows) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - space_checked_.load() > std::chrono::milliseconds(100)) {
      std::lock_guard lock(space_mutex_);
      struct statvfs fs {};
      if (::statvfs(directory_.c_str(), &fs) == 0) {
        free_bytes_ = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        total_bytes_ = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
      }
      space_checked_ = now;
    }
    const std::uint64_t total = total_bytes_.load();
    const std::uint64_t reserve = grows ? std::min<std::uint64_t>(64ull << 20, total / 10)
                                        : std::min<std::uint64_t>(16ull << 20, total / 40);
    if (free_bytes_ >= reserve) return {};
    return fmt::format("the store's disk is nearly full ({} bytes free, {} kept in reserve)",
                       free_bytes_.load(), reserve);
  }

  bool resume(std::string& error) override {
    const auto status = db_->Resume();
    if (!status.ok()) error = status.ToString();
    return status.ok();
  }

  void totals(std::uint64_t& messages, std::uint64_t& bytes) override {
    settle();
    messages = bytes = 0;
    for_each_of_kind(Kind::Meta, "store.totals_failed",
                     [&](std::string_view, std::string_view value) {
                       DeviceMeta meta;
                       if (!records::decode(value, meta)) return;
                       messages += meta.queued_messages;
                       bytes += meta.queued_bytes;
                     });
  }

 private:
  // Reads and writes that go to RocksDB directly (whole-store scans, the sweep's deadlines when
  // one waits, a trim the write-behind cannot take) first let the pending writes land, so they
  // see them and never pass them.
  void settle() {
    std::string error;
    if (behind_ && !behind_->flush(false, error))
      KITE_LOG(error, "store.write_behind_failed", {{"error", error}});
  }

  // Visits every record whose key starts with `kind` (whole-store scans at start); a failed
  // iteration is logged as `event`.
  template <typename Visit>
  void for_each_of_kind(Kind kind, const char* event, Visit&& visit) {
    const std::string first(1, static_cast<char>(kind));
    const std::string upper(1, static_cast<char>(static_cast<char>(kind) + 1));
    const rocksdb::Slice upper_bound(upper);
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper_bound;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
    for (it->Seek(first); it->Valid(); it->Next())
      visit(it->key().ToStringView(), it->value().ToStringView());
    if (!it->status().ok()) KITE_LOG(error, event, {{"error", it->status().ToString()}});
  }

  const std::unique_ptr<rocksdb::DB> db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> families_;  // default, events
  rocksdb::ColumnFamilyHandle* const events_;
  const std::uint64_t epoch_;
  const std::string directory_;
  const bool closed_cleanly_;
  std::unique_ptr<WriteBehind> behind_;  // null: every commit writes at once
  std::mutex space_mutex_;               // serialises the statvfs refresh
  std::atomic<std::chrono::steady_clock::time_point> space_checked_{};
  std::atomic<std::uint64_t> free_bytes_{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<std::uint64_t> total_bytes_{std::numeric_limits<std::uint64_t>::max()};
};

std::string pid_file(const std::string& directory) {
  return directory + "/kited.pid";
}

std::string explain_open_failure(const std::string& directory, const rocksdb::Status& status) {
  const std::string what = status.ToString();
  if (what.find("Permission denied") != std::string::npos) {
    return fmt::format(
        "cannot open data directory {}: permission denied; give the user running kited read and "
        "write access to it ({})",
        directory, what);
  }
  if (what.find("lock") != std::string::npos || what.find("LOCK") != std::string::npos) {
    std::string owner = "pid unknown";
    if (std::ifstream file(pid_file(directory)); file) {
      std::string pid;
      if (std::getline(file, pid) && !pid.empty()) owner = "pid " + pid;
    }
    return fmt::format(
        "data directory {} is locked by another kited ({})? Stop it, or give this kited its own "
        "data directory",
        directory, owner);
  }
  return fmt::format(
      "cannot open the store in {}: {}; if the directory is damaged, move it aside and start with "
      "an empty store (its queued messages are then lost)",
      directory, what);
}

bool load_or_create_epoch(rocksdb::DB& db, std::uint64_t& epoch, std::string& error) {
  std::string value;
  auto status = db.Get(rocksdb::ReadOptions(), records::epoch_key(), &value);
  if (status.ok() && records::read_u64(value, epoch)) return true;
  if (status.ok() || !status.IsNotFound()) {
    error = status.ok() ? std::string("undecodable epoch record") : status.ToString();
    return false;
  }
  epoch = new_epoch();
  value.clear();
  records::append_u64(value, epoch);
  rocksdb::WriteOptions options;
  options.sync = true;
  status = db.Put(options, records::epoch_key(), value);
  if (!status.ok()) error = status.ToString();
  return status.ok();
}

}  // namespace
}  // namespace kite::server::store

namespace kite::server {

std::unique_ptr<MessageStore> open_rocksdb_store(const std::string& directory,
                                                 const StoreOptions& options, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    error = fmt::format(
        "cannot create data directory {}: {}; create it, or let the user running kited write to "
        "its parent",
        directory, ec.message());
    KITE_LOG(error, "store.open_failed", {{"directory", directory}, {"error", ec.message()}});
    return nullptr;
  }
  // The store holds every queued payload: only kited's user may enter it, whatever mode the files
  // inside get (RocksDB creates them with the process umask).
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) KITE_LOG(warn, "store.permissions", {{"directory", directory}, {"error", ec.message()}});
  rocksdb::DB* raw = nullptr;
  rocksdb::Options db_options = store::tuned_rocksdb_options();
  db_options.create_missing_column_families = true;  // a store from before the event log has none
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{
      {rocksdb::kDefaultColumnFamilyName, db_options},
      {store::kEventsFamily, store::tuned_event_options(db_options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  const auto status = rocksdb::DB::Open(db_options, directory, descriptors, &families, &raw);
  if (!status.ok()) {
    error = store::explain_open_failure(directory, status);
    KITE_LOG(error, "store.open_failed", {{"directory", directory}, {"error", status.ToString()}});
    return nullptr;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::ofstream(store::pid_file(directory), std::ios::trunc) << getpid() << '\n';
  std::uint64_t epoch = 0;
  const bool closed_cleanly = store::was_closed_cleanly(*db);
  if (!store::load_or_create_epoch(*db, epoch, error)) {
    for (auto* family : families) db->DestroyColumnFamilyHandle(family);
    KITE_LOG(error, "store.open_failed", {{"directory", directory}, {"error", error}});
    error = fmt::format("cannot read the store's epoch in {}: {}", directory, error);
    return nullptr;
  }
  auto store = std::make_unique<store::QueueEngine>(
      std::make_unique<store::RocksBackend>(
          std::move(db), std::move(families), epoch, directory,
          options.durability == Durability::Async ? options.write_behind_ms : 0, closed_cleanly),
      options);
  const StoreStats stats = store->stats();
  KITE_LOG(info, "store.opened",
           {{"directory", directory}, {"messages", stats.messages}, {"bytes", stats.bytes}});
  return store;
}

}  // namespace kite::server
