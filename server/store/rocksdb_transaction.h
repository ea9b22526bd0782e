// The RocksDB Backend's Transaction (rocksdb_store.cc).
//
// Rules: reads see the transaction's own writes; commit() is one atomic DB::Write (fsynced when
// asked). Writes go to a plain WriteBatch; only a read that follows a write moves them into a
// WriteBatchWithIndex (which indexes every write: 10% of kited's CPU when paid on the hot path,
// where the engine's cache leaves no reads at all).
//
// With write-behind (rocksdb_write_behind.h) a deferred commit hands the batch to it instead:
// reads then see, in order, this transaction's writes, the pending writes, and RocksDB. A scan
// first flushes what is pending, so one iterator over RocksDB and this batch sees everything. A
// commit made at once (or while the write-behind is failing or too far behind) flushes what is
// pending and then writes its own batch, so a failure leaves nothing of it stored.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "store/queue_backend.h"
#include "store/record_codec.h"
#include "store/rocksdb_write_behind.h"

namespace kite::server::store {

class RocksTransaction final : public Transaction {
 public:
  // `behind`: the backend's write-behind, or null when every commit writes RocksDB at once.
  RocksTransaction(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events, WriteBehind* behind)
      : db_(db), events_(events), behind_(behind) {}

  DeviceMeta meta(std::string_view device) override {
    return load<DeviceMeta>(records::device_prefix(records::Kind::Meta, device))
        .value_or(DeviceMeta{});
  }
  std::optional<ConflationEntry> conflation(std::string_view device,
                                            std::string_view key) override {
    return load<ConflationEntry>(records::keyed(records::Kind::Conflation, device, key));
  }
  std::optional<IdempotencyEntry> idempotency(std::string_view device,
                                              std::string_view key) override {
    return load<IdempotencyEntry>(records::keyed(records::Kind::Idempotency, device, key));
  }
  void scan(std::string_view device, std::uint64_t after_seq,
            const std::function<bool(const MessageView&)>& visit) override;

  // The hot path's three writes encode into the transaction's buffers (the batch copies them).
  void put_meta(std::string_view device, const DeviceMeta& meta) override {
    records::device_prefix_into(key_, records::Kind::Meta, device);
    records::encode_into(value_, meta);
    put(key_, value_);
  }
  void put_message(std::string_view device, const MessageView& m) override {
    records::message_key_into(key_, device, m.seq);
    records::encode_into(value_, m);
    put(key_, value_);
  }
  void delete_message(std::string_view device, std::uint64_t seq) override {
    records::message_key_into(key_, device, seq);
    erase(key_);
  }
  void put_conflation(std::string_view device, std::string_view key,
                      const ConflationEntry& entry) override {
    put(records::keyed(records::Kind::Conflation, device, key), records::encode(entry));
  }
  void delete_conflation(std::string_view device, std::string_view key) override {
    erase(records::keyed(records::Kind::Conflation, device, key));
  }
  void put_idempotency(std::string_view device, std::string_view key, const IdempotencyEntry& entry,
                       std::uint64_t) override {
    put(records::keyed(records::Kind::Idempotency, device, key), records::encode(entry));
  }
  void put_deadline(const Deadline& deadline) override {
    put(records::deadline_key(deadline), records::encode_deadline(deadline));
  }
  void delete_deadline(const Deadline& deadline) override {
    erase(records::deadline_key(deadline));
  }
  void put_event(const EventRecord& event) override;

  bool commit(bool sync, std::string& error) override { return commit(sync, true, error); }
  bool commit_deferred(std::string& error, const DeferredCommit& what) override {
    return commit(false, false, error, what);
  }

 private:
  bool commit(bool sync, bool durable_now, std::string& error, const DeferredCommit& what = {});
  void put(const std::string& key, const std::string& value);
  void erase(const std::string& key);
  // The batch that reads must consult: the indexed one, made from the plain writes so far.
  rocksdb::WriteBatchWithIndex& indexed();
  // The value at `key` as this transaction sees it; false when there is none or the read failed.
  bool read(const std::string& key, std::string& value);
  // The record at `key`, or nullopt if there is none or the read failed; a failure or an
  // undecodable record poisons the transaction.
  template <typename Record>
  std::optional<Record> load(const std::string& key) {
    std::string value;
    if (!read(key, value)) return std::nullopt;
    Record record;
    if (records::decode(value, record)) return record;
    corrupt(key);
    return std::nullopt;
  }
  bool check(const rocksdb::Status& status) {
    if (!status.ok() && error_.empty()) error_ = status.ToString();
    return status.ok();
  }
  void corrupt(std::string_view key);

  rocksdb::DB& db_;
  rocksdb::ColumnFamilyHandle* const events_;
  WriteBehind* const behind_;
  std::string key_, value_;  // the buffers the hot path's writes encode into
  rocksdb::WriteBatch plain_;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> indexed_;
  // With write-behind: the keys this transaction wrote, which its own batch answers for; kept
  // from the first read on (track_written()).
  void track_written();
  bool wrote_own(const std::string& key);
  std::unordered_set<std::string> written_;
  bool tracking_ = false;
  std::string error_;
};

}  // namespace kite::server::store
