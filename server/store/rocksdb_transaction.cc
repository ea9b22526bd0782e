// The RocksDB Backend's Transaction; see rocksdb_transaction.h for the rules it keeps.
#include "store/rocksdb_transaction.h"

#include <fmt/format.h>

#include <limits>

namespace kite::server::store {

using records::Kind;

// One event per uplink and per delivery receipt: encoded into buffers the transaction reuses
// (the batch copies them), not two new strings each.
void RocksTransaction::put_event(const EventRecord& event) {
  records::event_key_into(key_, event.id);
  records::encode_into(value_, event);
  check(indexed_ ? indexed_->Put(events_, key_, value_) : plain_.Put(events_, key_, value_));
}

bool RocksTransaction::commit(bool sync, bool durable_now, std::string& error,
                              const DeferredCommit& what) {
  if (!error_.empty()) {
    error = error_;
    return false;
  }
  rocksdb::WriteBatch* batch = indexed_ ? indexed_->GetWriteBatch() : &plain_;
  if (batch->Count() == 0) return true;
  if (behind_ && !durable_now && !behind_->backlogged()) {
    // The batch moves (its bytes are not copied); an indexed one is the index's, so it is copied.
    if (behind_->absorb(indexed_ ? rocksdb::WriteBatch(*batch) : std::move(plain_),
                        what.settle_group, what.device_acks))
      return true;
    error = "write-behind refused a batch it cannot hold";
    return false;
  }
  // Written at once: what waits goes first (it is older), then this batch by itself, so that a
  // failure leaves nothing of this transaction stored anywhere. (Its devices are locked by the
  // caller: no deferred write of theirs can slip in between.)
  if (behind_ && !behind_->flush(false, error)) return false;
  rocksdb::WriteOptions options;
  options.sync = sync;
  const auto status = db_.Write(options, batch);
  if (!status.ok()) error = status.ToString();
  return status.ok();
}

void RocksTransaction::put(const std::string& key, const std::string& value) {
  check(indexed_ ? indexed_->Put(key, value) : plain_.Put(key, value));
  if (tracking_) written_.insert(key);
}

void RocksTransaction::erase(const std::string& key) {
  check(indexed_ ? indexed_->Delete(key) : plain_.Delete(key));
  if (tracking_) written_.insert(key);
}

bool RocksTransaction::wrote_own(const std::string& key) {
  if (plain_.Count() == 0 && !indexed_) return false;
  track_written();
  return written_.contains(key);
}

// The keys written so far, once a read needs them (most transactions write without reading).
void RocksTransaction::track_written() {
  if (tracking_) return;
  tracking_ = true;
  struct Keys final : rocksdb::WriteBatch::Handler {
    std::unordered_set<std::string>& into;
    explicit Keys(std::unordered_set<std::string>& keys) : into(keys) {}
    rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice& key,
                          const rocksdb::Slice&) override {
      if (family == 0) into.insert(key.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(std::uint32_t family, const rocksdb::Slice& key) override {
      if (family == 0) into.insert(key.ToString());
      return rocksdb::Status::OK();
    }
  } keys(written_);
  check((indexed_ ? *indexed_->GetWriteBatch() : plain_).Iterate(&keys));
}

bool RocksTransaction::read(const std::string& key, std::string& value) {
  rocksdb::Status status;
  if (!behind_) {
    status = plain_.Count() == 0 && !indexed_
                 ? db_.Get(rocksdb::ReadOptions(), key, &value)
                 : indexed().GetFromBatchAndDB(&db_, rocksdb::ReadOptions(), key, &value);
  } else if (wrote_own(key)) {  // its own write answers; NotFound: it deleted the record
    status = indexed().GetFromBatch(rocksdb::DBOptions(), key, &value);
  } else {
    switch (behind_->lookup(key, value)) {
      case WriteBehind::Lookup::Found:
        return true;
      case WriteBehind::Lookup::Deleted:
        return false;
      case WriteBehind::Lookup::Unknown:
        status = db_.Get(rocksdb::ReadOptions(), key, &value);
        break;
    }
  }
  if (status.IsNotFound()) return false;
  return check(status);
}

// Replays the plain batch's writes into a new indexed batch, once; later writes go there directly.
rocksdb::WriteBatchWithIndex& RocksTransaction::indexed() {
  if (indexed_) return *indexed_;
  indexed_ = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                            /*overwrite_key=*/true);
  struct Replay final : rocksdb::WriteBatch::Handler {
    rocksdb::WriteBatchWithIndex& into;
    rocksdb::ColumnFamilyHandle* events;
    rocksdb::Status status;
    Replay(rocksdb::WriteBatchWithIndex& batch, rocksdb::ColumnFamilyHandle* family)
        : into(batch), events(family) {}
    rocksdb::Status PutCF(std::uint32_t family, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
      if (status.ok())
        status = family == events->GetID() ? into.Put(events, key, value) : into.Put(key, value);
      return rocksdb::Status::OK();
    }
    void Delete(const rocksdb::Slice& key) override {
      if (status.ok()) status = into.Delete(key);
    }
  } replay(*indexed_, events_);
  check(plain_.Iterate(&replay));
  check(replay.status);
  plain_.Clear();
  return *indexed_;
}

void RocksTransaction::scan(std::string_view device, std::uint64_t after_seq,
                            const std::function<bool(const MessageView&)>& visit) {
  if (after_seq == std::numeric_limits<std::uint64_t>::max()) return;
  std::string flush_error;
  if (behind_ && !behind_->flush(false, flush_error)) {
    check(rocksdb::Status::IOError(flush_error));
    return;
  }
  const std::string prefix = records::device_prefix(Kind::Message, device);
  const std::string upper = prefix + std::string(9, '\xff');  // above every seq of this device
  const rocksdb::Slice upper_bound(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(
      indexed().NewIteratorWithBase(db_.DefaultColumnFamily(), db_.NewIterator(options), &options));
  for (it->Seek(records::message_key(device, after_seq + 1)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    MessageView message;
    if (key.size() != prefix.size() + 8 || !key.starts_with(prefix)) break;
    if (!records::read_u64({key.data() + prefix.size(), 8}, message.seq) ||
        !records::decode({it->value().data(), it->value().size()}, message)) {
      return corrupt(key.ToStringView());
    }
    if (!visit(message)) return;
  }
  check(it->status());
}

void RocksTransaction::corrupt(std::string_view key) {
  if (error_.empty()) error_ = fmt::format("undecodable '{}' record in the store", key.front());
}

}  // namespace kite::server::store
