// Write-behind for the RocksDB backend; see rocksdb_write_behind.h for the rules it keeps.
#include "store/rocksdb_write_behind.h"

#include "common/log.h"
#include "common/log_limiter.h"

namespace kite::server::store {

// Moves a transaction's batch into the pending writes (mutex_ held by absorb()).
struct WriteBehind::Absorber final : rocksdb::WriteBatch::Handler {
  WriteBehind& into;
  std::uint32_t events_id;
  rocksdb::Status status;

  Absorber(WriteBehind& owner, std::uint32_t events) : into(owner), events_id(events) {}

  rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (family == events_id)
      into.open_events_.emplace_back(key.ToString(), value.ToString());
    else if (family == 0)
      into.put(key.ToString(), value.ToString());
    else
      status = rocksdb::Status::NotSupported("write-behind: unknown column family");
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(std::uint32_t family, const rocksdb::Slice& key) override {
    if (family == 0)
      into.erase(key.ToString());
    else
      status = rocksdb::Status::NotSupported("write-behind: a delete outside the default family");
    return rocksdb::Status::OK();
  }
};

WriteBehind::WriteBehind(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events,
                         std::function<bool(std::string_view)> created_by_put)
    : db_(db), events_family_(events), created_by_put_(std::move(created_by_put)) {}

WriteBehind::~WriteBehind() {
  std::string error;
  if (!close(error)) KITE_LOG(error, "store.write_behind_failed", {{"error", error}});
}

bool WriteBehind::close(std::string& error) {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    flusher_.join();
  }
  return flush(false, error);
}

void WriteBehind::flush_every(std::chrono::milliseconds interval) {
  flusher_ = std::thread([this, interval] {
    static log::Limiter limiter(1, 1000);
    std::unique_lock lock(stop_mutex_);
    while (!stop_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      std::string error;
      if (!flush(false, error))
        if (auto suppressed = limiter.admit())
          KITE_LOG(error, "store.write_behind_failed",
                   {{"error", error}, {"pending", pending_writes()}, {"suppressed", *suppressed}});
      lock.lock();
    }
  });
}

std::uint64_t WriteBehind::absorb(const rocksdb::WriteBatch& batch) {
  std::lock_guard lock(mutex_);
  Absorber absorber(*this, events_family_->GetID());
  // A transaction writes only puts and deletes of these two families (rocksdb_store.cc), so a
  // batch is taken whole or, for a bug, not at all: checked before anything is moved.
  struct Check final : rocksdb::WriteBatch::Handler {
    std::uint32_t events_id;
    bool ok = true;
    explicit Check(std::uint32_t events) : events_id(events) {}
    rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice&,
                          const rocksdb::Slice&) override {
      ok = ok && (family == 0 || family == events_id);
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(std::uint32_t family, const rocksdb::Slice&) override {
      ok = ok && family == 0;
      return rocksdb::Status::OK();
    }
  } check(absorber.events_id);
  if (!batch.Iterate(&check).ok() || !check.ok) return 0;
  if (!batch.Iterate(&absorber).ok() || !absorber.status.ok()) return 0;
  return generation_;
}

void WriteBehind::put(std::string key, std::string value) {
  if (auto it = open_.find(key); it != open_.end()) {
    it->second.value = std::move(value);  // still created here, if it was
    return;
  }
  const bool created = created_by_put_(key) && !flushing_.contains(key);
  open_.emplace(std::move(key), Pending{std::move(value), created});
}

void WriteBehind::erase(std::string key) {
  auto it = open_.find(key);
  if (it != open_.end() && it->second.created) {  // RocksDB never had it: nothing to write
    open_.erase(it);
    cancelled_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (it != open_.end())
    it->second.value.reset();
  else
    open_.emplace(std::move(key), Pending{std::nullopt, false});
}

WriteBehind::Lookup WriteBehind::lookup(const std::string& key, std::string& value) const {
  std::lock_guard lock(mutex_);
  for (const Writes* writes : {&open_, &flushing_}) {
    auto it = writes->find(key);
    if (it == writes->end()) continue;
    if (!it->second.value) return Lookup::Deleted;
    value = *it->second.value;
    return Lookup::Found;
  }
  return Lookup::Unknown;
}

bool WriteBehind::flush(bool sync, std::string& error) {
  std::lock_guard serial(flush_mutex_);
  std::vector<std::pair<std::string, std::string>> events;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (open_.empty() && open_events_.empty()) {
      generation = generation_ - 1;  // the open generation holds nothing yet
      durable_.store(generation, std::memory_order_release);
      if (!sync) return true;
    } else {
      generation = generation_;
      flushing_ = std::move(open_);
      open_.clear();
      events = std::move(open_events_);
      open_events_.clear();
      ++generation_;
    }
  }
  // flushing_ changes only under flush_mutex_, which this call holds: readable without mutex_.
  rocksdb::WriteBatch batch;
  rocksdb::Status status;
  for (const auto& [key, pending] : flushing_) {
    status = pending.value ? batch.Put(key, *pending.value) : batch.Delete(key);
    if (!status.ok()) break;
  }
  for (const auto& [key, value] : events) {
    if (!status.ok()) break;
    status = batch.Put(events_family_, key, value);
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  // An empty batch under sync still waits for the WAL's fsync: what was written before is durable.
  if (status.ok()) status = db_.Write(options, &batch);
  std::lock_guard lock(mutex_);
  if (!status.ok()) {
    error = status.ToString();
    restore(flushing_, events);
    return false;
  }
  flushing_.clear();
  durable_.store(generation, std::memory_order_release);
  return true;
}

void WriteBehind::restore(Writes& writes,
                          std::vector<std::pair<std::string, std::string>>& events) {
  for (auto& [key, pending] : writes) open_.try_emplace(key, std::move(pending));  // newer ones win
  writes.clear();
  events.insert(events.end(), std::make_move_iterator(open_events_.begin()),
                std::make_move_iterator(open_events_.end()));
  open_events_ = std::move(events);
}

std::uint64_t WriteBehind::ticket() const {
  std::lock_guard lock(mutex_);
  // Nothing open: everything absorbed is in the generations before (one may be being written).
  return open_.empty() && open_events_.empty() ? generation_ - 1 : generation_;
}

std::size_t WriteBehind::pending_writes() const {
  std::lock_guard lock(mutex_);
  return open_.size() + flushing_.size() + open_events_.size();
}

}  // namespace kite::server::store
