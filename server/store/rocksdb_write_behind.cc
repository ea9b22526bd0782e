// Write-behind for the RocksDB backend; see rocksdb_write_behind.h for the rules it keeps.
#include "store/rocksdb_write_behind.h"

#include <malloc.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/log_limiter.h"

namespace kite::server::store {

namespace {

// Whether every range deletion of a batch is of the events family (the only ones the index need
// not describe: they are written in order with the events).
struct EventRangesOnly final : rocksdb::WriteBatch::Handler {
  bool ok = true;
  rocksdb::Status PutCF(std::uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(std::uint32_t, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(std::uint32_t family, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    ok = ok && family != 0;
    return rocksdb::Status::OK();
  }
};

// malloc_trim() walks every free chunk of every arena (1-2 ms for a heap of 20,000 connections
// here, holding each arena's lock in turn): an idle server needs it once, not at every lull.
constexpr auto kTrimEvery = std::chrono::seconds(10);

}  // namespace

// Indexes the writes of the batch just absorbed (mutex_ held): each key's latest write, and a
// created record's delete cancels both.
struct WriteBehind::Indexer final : rocksdb::WriteBatch::Handler {
  WriteBehind& owner;
  std::uint32_t group;  // as Latest::group
  bool device_acks;     // the batch's deletes are devices' acknowledgements
  Indexer(WriteBehind& behind, std::uint32_t slot, bool acks)
      : owner(behind), group(slot), device_acks(acks) {}

  rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (family != 0) return rocksdb::Status::OK();  // events: written as they are, in order
    const PendingIndex::Key name = PendingIndex::key(key.ToStringView());
    note_kind(name.bytes);
    auto [latest, fresh] = owner.open_.index.try_insert(name);
    if (!fresh) {
      latest->value = value.ToStringView();
      latest->deleted = false;
      return rocksdb::Status::OK();
    }
    const bool created = owner.created_by_put_(name.bytes) && !owner.flushing_.index.contains(name);
    const std::uint32_t slot = created ? group : 0;
    if (slot != 0) ++owner.groups_[slot - 1].waiting;
    *latest = Latest{value.ToStringView(), false, created, slot};
    return rocksdb::Status::OK();
  }

  rocksdb::Status DeleteCF(std::uint32_t family, const rocksdb::Slice& key) override {
    if (family != 0) return rocksdb::Status::OK();  // events: written as they are, in order
    const PendingIndex::Key name = PendingIndex::key(key.ToStringView());
    note_kind(name.bytes);
    Index& index = owner.open_.index;
    Latest* latest = index.find(name);
    if (latest && latest->created) {  // RocksDB never had it: nothing to write
      if (const std::uint32_t slot = latest->group; slot != 0) {
        Group& g = owner.groups_[slot - 1];
        if (device_acks)
          --g.waiting;
        else
          g.unsettled = true;  // gone without delivery: only its write may answer for the read
      }
      index.erase(latest);
      owner.cancelled_.fetch_add(1, std::memory_order_relaxed);
    } else if (latest) {
      *latest = Latest{{}, true, false};
    } else {
      index.insert(name, Latest{{}, true, false});
    }
    return rocksdb::Status::OK();
  }

  rocksdb::Status DeleteRangeCF(std::uint32_t, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    return rocksdb::Status::OK();  // events only (absorb checked): written as they are, in order
  }

  void note_kind(std::string_view key) {
    if (!key.empty()) owner.open_.kinds.set(static_cast<unsigned char>(key.front()));
  }
};

// Copies into one batch what a flush writes: each key's latest write, in key order, then every
// event. Sorted, because RocksDB's memtable inserts a batch's keys one after another from where
// the previous one went: a sorted run costs a few comparisons per key, where keys in the order
// the workers wrote them each start a search from the top of the skip list.
struct WriteBehind::Writer final : rocksdb::WriteBatch::Handler {
  rocksdb::ColumnFamilyHandle* events;
  rocksdb::WriteBatch out;
  rocksdb::Status status;
  explicit Writer(rocksdb::ColumnFamilyHandle* family) : events(family) {}

  void latest_writes(const Index& index) {
    // The keys' views beside their entries: the sort's comparisons read the keys' bytes only.
    std::vector<std::pair<std::string_view, const Latest*>> sorted;
    sorted.reserve(index.size());
    index.for_each(
        [&](std::string_view key, const Latest& latest) { sorted.emplace_back(key, &latest); });
    // string_view orders bytes as unsigned, as RocksDB's bytewise comparator does.
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, latest] : sorted) {
      const rocksdb::Slice key(name.data(), name.size());
      keep(latest->deleted
               ? out.Delete(key)
               : out.Put(key, rocksdb::Slice(latest->value.data(), latest->value.size())));
    }
  }
  // The batches, for their events (the default family's writes came from the index).
  rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (family != 0) keep(out.Put(events, key, value));
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(std::uint32_t family, const rocksdb::Slice& key) override {
    if (family != 0) keep(out.Delete(events, key));
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(std::uint32_t family, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    if (family != 0) keep(out.DeleteRange(events, begin, end));
    return rocksdb::Status::OK();
  }
  void keep(const rocksdb::Status& s) {
    if (status.ok()) status = s;
  }
};

WriteBehind::WriteBehind(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events,
                         std::function<bool(std::string_view)> created_by_put, Settling settling)
    : db_(db),
      events_family_(events),
      created_by_put_(std::move(created_by_put)),
      settling_(settling) {}

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
      if (!flush_interval(error))
        if (auto suppressed = limiter.admit())
          KITE_LOG(error, "store.write_behind_failed",
                   {{"error", error}, {"pending", pending_writes()}, {"suppressed", *suppressed}});
      lock.lock();
    }
  });
}

bool WriteBehind::absorb(rocksdb::WriteBatch batch, std::uint64_t group, bool device_acks) {
  // The write kinds a batch holds are flags it keeps as it is built: no pass over it to check.
  if (batch.HasSingleDelete() || batch.HasMerge() || batch.HasBeginPrepare() ||
      batch.HasPutEntity())
    return false;
  if (batch.HasDeleteRange()) {  // rare (the event log's trimming): worth a pass to check
    EventRangesOnly check;
    if (!batch.Iterate(&check).ok() || !check.ok) return false;
  }
  auto owned = std::make_unique<rocksdb::WriteBatch>(std::move(batch));
  std::lock_guard lock(mutex_);
  open_.batches.push_back(std::move(owned));
  // A group opened before the last flush began no longer counts (its slot is gone).
  Indexer indexer(*this, slot_of(group), device_acks);
  return open_.batches.back()->Iterate(&indexer).ok();  // it refuses nothing let through above
}

std::uint32_t WriteBehind::slot_of(std::uint64_t group) const {
  const bool live = group >= groups_base_ && group - groups_base_ < groups_.size();
  return live ? static_cast<std::uint32_t>(group - groups_base_ + 1) : 0;
}

std::uint64_t WriteBehind::open_group() {
  std::lock_guard lock(mutex_);
  groups_.push_back({});
  return groups_base_ + groups_.size() - 1;
}

void WriteBehind::close_group(std::uint64_t group) {
  std::lock_guard lock(mutex_);
  if (const std::uint32_t slot = slot_of(group)) groups_[slot - 1].open = false;
}

bool WriteBehind::settled(std::uint64_t group) const {
  std::lock_guard lock(mutex_);
  const std::uint32_t slot = slot_of(group);
  if (slot == 0) return false;
  const Group& g = groups_[slot - 1];
  return !g.open && !g.unsettled && g.waiting == 0;
}

WriteBehind::Lookup WriteBehind::lookup(const std::string& key, std::string& value) const {
  std::lock_guard lock(mutex_);
  const PendingIndex::Key name = PendingIndex::key(key);
  for (const Index* index : {&open_.index, &flushing_.index}) {
    const Latest* latest = index->find(name);
    if (!latest) continue;
    if (latest->deleted) return Lookup::Deleted;
    value.assign(latest->value);
    return Lookup::Found;
  }
  return Lookup::Unknown;
}

bool WriteBehind::flush_interval(std::string& error) {
  if (!flush(false, error)) return false;
  tidy();
  return true;
}

// After a whole interval with nothing written (no generation since tidy()'s last look), on the
// flusher's thread only (a worker's flush must not pay for it): the index sized for the last
// burst is freed, and the allocator's free memory given back (at most every kTrimEvery). After a
// quiet spell with enough in RocksDB's memtables (a connection storm's events: about 95 bytes each,
// most of an idle kited's store memory), they are written to disk, once, and their memory given
// back at the next interval (RocksDB frees a flushed memtable, and its flush thread its buffers,
// just after the flush returns). Both run outside this object's locks: writes go on meanwhile.
void WriteBehind::tidy() {
  Index unused;
  bool flush_memtables = false, trim = false;
  {
    std::lock_guard serial(flush_mutex_);
    {
      std::lock_guard lock(mutex_);
      // A worker's flush may have written a generation (and reserved the next index) meanwhile.
      const bool written_since = generation_ != tidied_generation_;
      tidied_generation_ = generation_;
      if (written_since || !open_.empty()) return;
      if (open_.index.capacity() != 0) unused = std::exchange(open_.index, Index{});
    }
    const auto now = std::chrono::steady_clock::now();
    if (quiet_ == Quiet::Flushed) {
      quiet_ = Quiet::Settled;
      trim = true;
    } else if (quiet_ == Quiet::Busy && now - last_write_ >= settling_.quiet_for) {
      flush_memtables = memtable_entries() >= settling_.min_memtable_entries;
      quiet_ = flush_memtables ? Quiet::Flushed : Quiet::Settled;
    }
    trim = trim || (unused.capacity() != 0 && now - last_trim_ >= kTrimEvery);
    if (trim) last_trim_ = now;
  }
  unused = Index{};
  if (flush_memtables) {
    rocksdb::FlushOptions options;
    options.allow_write_stall = true;
    const rocksdb::Status status = db_.Flush(options, {db_.DefaultColumnFamily(), events_family_});
    if (!status.ok()) KITE_LOG(warn, "store.quiet_flush_failed", {{"error", status.ToString()}});
  }
#ifdef __GLIBC__
  if (trim) malloc_trim(0);
#endif
}

std::uint64_t WriteBehind::memtable_entries() const {
  std::uint64_t total = 0;
  for (auto* family : {db_.DefaultColumnFamily(), events_family_}) {
    for (const char* property :
         {"rocksdb.num-entries-active-mem-table", "rocksdb.num-entries-imm-mem-tables"}) {
      std::uint64_t entries = 0;
      if (db_.GetIntProperty(family, property, &entries)) total += entries;
    }
  }
  return total;
}

bool WriteBehind::flush(bool sync, std::string& error) {
  std::lock_guard serial(flush_mutex_);
  // The next generation is likely the size of the last one: its index is made that big here,
  // outside mutex_, so that it neither grows step by step nor is zeroed while workers wait (and
  // not at all for an interval with nothing to write).
  Pending next;
  bool pending = false;
  {
    std::lock_guard lock(mutex_);
    pending = !open_.empty();
  }
  if (pending) next.index.reserve(last_generation_keys_);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    // Groups with records pending: those are being written now, so wait for that. The others
    // (nothing waits) are answered by the ticket as well: forgetting them bounds the list.
    groups_base_ += groups_.size();
    groups_.clear();
    if (open_.empty()) {
      generation = generation_ - 1;  // the open generation holds nothing yet
      durable_.store(generation, std::memory_order_release);
      if (!sync) return true;
    } else {
      generation = generation_++;
      flushing_ = std::move(open_);
      open_ = std::move(next);
      last_write_ = std::chrono::steady_clock::now();
      quiet_ = Quiet::Busy;
    }
  }
  // flushing_ changes only under flush_mutex_, which this call holds: readable without mutex_.
  last_generation_keys_ = flushing_.index.size();
  Writer writer(events_family_);
  writer.latest_writes(flushing_.index);
  rocksdb::Status status;
  for (const auto& batch : flushing_.batches) {
    if (status.ok()) status = batch->Iterate(&writer);
  }
  if (status.ok()) status = writer.status;
  rocksdb::WriteOptions options;
  options.sync = sync;
  // An empty batch under sync still waits for the WAL's fsync: what was written before is durable.
  if (status.ok()) status = db_.Write(options, &writer.out);
  // Declared before the lock, so freed after it is released: a generation's batches and index
  // are thousands of allocations, and a worker's lookup() or absorb() must not wait for free().
  Pending written;
  std::lock_guard lock(mutex_);
  failing_.store(!status.ok(), std::memory_order_relaxed);
  if (!status.ok()) {
    error = status.ToString();
    // Pending again, under the newer writes of the same keys; the batches keep their order.
    flushing_.index.for_each([&](std::string_view key, const Latest& latest) {
      const PendingIndex::Key name = PendingIndex::key(key);
      if (open_.index.contains(name)) return;  // a newer write of the key
      Latest again = latest;
      again.group = 0;  // its group was closed to settling when the flush began
      open_.index.insert(name, again);
    });
    for (auto& batch : open_.batches) flushing_.batches.push_back(std::move(batch));
    open_.batches = std::move(flushing_.batches);
    open_.kinds |= flushing_.kinds;  // holds_kind() must still see them
    flushing_ = Pending{};
    return false;
  }
  written = std::exchange(flushing_, Pending{});
  durable_.store(generation, std::memory_order_release);
  return true;
}

bool WriteBehind::holds_kind(char kind) const {
  const auto bit = static_cast<unsigned char>(kind);
  std::lock_guard lock(mutex_);
  return open_.kinds.test(bit) || flushing_.kinds.test(bit);
}

std::uint64_t WriteBehind::ticket() const {
  std::lock_guard lock(mutex_);
  // Nothing open: everything absorbed is in the generations before (one may be being written).
  return open_.empty() ? generation_ - 1 : generation_;
}

bool WriteBehind::backlogged() const {
  if (failing_.load(std::memory_order_relaxed)) return true;
  std::lock_guard lock(mutex_);
  return open_.index.size() > kMaxPending;
}

std::size_t WriteBehind::reserved_keys() const {
  std::lock_guard lock(mutex_);
  return open_.index.capacity();
}

std::size_t WriteBehind::pending_writes() const {
  std::lock_guard lock(mutex_);
  return open_.index.size() + flushing_.index.size();
}

}  // namespace kite::server::store
