// The storage primitives under QueueEngine: one small interface per storage (memory, RocksDB), so
// the queue rules (caps, conflation, idempotency, TTL) are written once and hold for both.
//
// Rules:
// - All reads and writes go through a Transaction. Reads see the transaction's own earlier writes,
//   so a batch of messages for one device behaves like a loop of single enqueues.
// - The caller (QueueEngine) holds the lock of every device it touches; a backend only protects
//   its own data structures.
// - A failed read is sticky: the transaction remembers the first error and commit() refuses, so
//   a decision made on a bad read is never written.
// - scan() visitors get views that die when the visitor returns, and must not call the transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/message_store.h"

namespace kite::server::store {

// One device's bookkeeping, kept as one record next to its queue.
struct DeviceMeta {
  std::uint64_t last_seq = 0;  // highest downlink seq ever assigned: never goes down
  std::uint64_t acked_through = 0;
  // Every message with seq <= gone_through is gone (acked or dropped from the head): scans start
  // here, so they never walk over the deletions of a long-lived queue.
  std::uint64_t gone_through = 0;
  std::uint64_t queued_messages = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t uplink_last_received = 0;
  // Write-behind: seqs up to here may have been given out while the meta that counts them was
  // still in memory. After a crash, last_seq starts here, so no seq is ever given twice.
  std::uint64_t reserved_seq = 0;
};

// The queued message that holds a conflation key, and its size (to free it without reading it).
struct ConflationEntry {
  std::uint64_t seq = 0;
  std::uint64_t bytes = 0;
};

struct IdempotencyEntry {
  std::uint64_t expires_at_ms = 0;
  std::uint64_t seq = 0;
  std::string message_id;
};

struct MessageView {
  std::uint64_t seq = 0, enqueued_at_ms = 0, expires_at_ms = 0;
  std::string_view message_id, topic, content_type, conflation_key, payload;

  std::uint64_t bytes() const {
    return payload.size() + topic.size() + content_type.size() + conflation_key.size();
  }
  bool expired(std::uint64_t now_ms) const { return expires_at_ms != 0 && expires_at_ms <= now_ms; }
};

// A time a queued message falls due: its expiry, or its fallback deadline. Index entries, kept in
// time order, so the sweep reads only what is due.
struct Deadline {
  enum class Kind : std::uint8_t { Expiry = 0, Fallback = 1 };
  std::uint64_t at_ms = 0;
  Kind kind = Kind::Expiry;
  std::uint64_t seq = 0;
  std::string_view device;
  bool cancel = false;  // Fallback: remove the message when it falls due unacknowledged
};

// What a deferred commit means to settle groups (MessageStore::open_settle_group): the records it
// creates count in `settle_group` (0: none); its deletes settle them only when they are devices'
// acknowledgements. Any other delete of a counted record (expiry, a full queue's drop, a
// replacement) leaves its group unsettled: its read waits for the write.
struct DeferredCommit {
  std::uint64_t settle_group = 0;
  bool device_acks = false;
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  virtual DeviceMeta meta(std::string_view device) = 0;  // all zero for an unknown device
  virtual std::optional<ConflationEntry> conflation(std::string_view device,
                                                    std::string_view key) = 0;
  virtual std::optional<IdempotencyEntry> idempotency(std::string_view device,
                                                      std::string_view key) = 0;
  // Visits the device's messages with seq > after_seq in seq order until `visit` returns false.
  virtual void scan(std::string_view device, std::uint64_t after_seq,
                    const std::function<bool(const MessageView&)>& visit) = 0;

  virtual void put_meta(std::string_view device, const DeviceMeta& meta) = 0;
  virtual void put_message(std::string_view device, const MessageView& message) = 0;
  virtual void delete_message(std::string_view device, std::uint64_t seq) = 0;
  virtual void put_conflation(std::string_view device, std::string_view key,
                              const ConflationEntry& entry) = 0;
  virtual void delete_conflation(std::string_view device, std::string_view key) = 0;
  virtual void put_deadline(const Deadline& deadline) = 0;
  virtual void delete_deadline(const Deadline& deadline) = 0;
  // An event of the backends' log. A store that keeps nothing across restarts may ignore it.
  virtual void put_event(const EventRecord& /*event*/) {}
  // now_ms lets a backend sweep expired entries while it is there.
  virtual void put_idempotency(std::string_view device, std::string_view key,
                               const IdempotencyEntry& entry, std::uint64_t now_ms) = 0;

  // Makes every write durable (sync: fsync first). On failure returns false with `error` set, and
  // nothing of this transaction is stored.
  // A shared backend (Backend::shared) also fails a commit when another process wrote a device
  // whose meta this transaction read; conflicted() then says so, and the caller starts again.
  virtual bool commit(bool sync, std::string& error) = 0;
  virtual bool conflicted() const { return false; }
  // commit(false) whose writes may wait in memory (a backend with write-behind): durable once
  // Backend::written(Backend::write_ticket()) says so, or after Backend::flush_pending(). What
  // the writes are for must not be answered as durable before then. Others write at once.
  virtual bool commit_deferred(std::string& error, const DeferredCommit& /*what*/) {
    return commit(false, error);
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::unique_ptr<Transaction> begin() = 0;
  virtual std::uint64_t epoch() const = 0;
  // Write-behind: a ticket for every deferred commit made so far, whether it is durable yet, and
  // a write of everything pending. A backend that writes at once has nothing pending.
  virtual std::uint64_t write_ticket() const { return 0; }
  virtual bool written(std::uint64_t /*ticket*/) const { return true; }
  virtual bool flush_pending(std::string& /*error*/) { return true; }
  // Settle groups (MessageStore::open_settle_group): none settles where nothing waits.
  virtual std::uint64_t open_settle_group() { return 0; }
  virtual void close_settle_group(std::uint64_t /*group*/) {}
  virtual bool settled(std::uint64_t /*group*/) const { return false; }
  // False when the last process to hold this store ended without closing it: write-behind may
  // then have lost writes after given-out seqs were reserved (DeviceMeta::reserved_seq).
  virtual bool closed_cleanly() const { return true; }
  // Records created and deleted before their write was due, so never written (write-behind).
  virtual std::uint64_t unwritten() const { return 0; }
  // Queued messages and bytes over all devices: the global caps' starting point after a restart.
  virtual void totals(std::uint64_t& messages, std::uint64_t& bytes) = 0;
  // Group membership records (outside transactions: no queue rule involves them). false, with
  // `error` set, when the write failed.
  virtual bool put_member(std::string_view group, std::string_view device, bool member, bool sync,
                          std::string& error) = 0;
  virtual void scan_members(
      const std::function<void(std::string_view group, std::string_view device)>& visit) = 0;
  // The event log's records, in id order (at start), and the deletion of the oldest of them
  // (outside transactions: retention, never fsynced). false, with `error` set, when it failed.
  virtual void scan_events(const std::function<void(const EventRecord&)>&) {}
  virtual bool delete_events_through(std::uint64_t /*id*/, std::string& /*error*/) { return true; }
  // A consumer group's cursors, encoded by the caller (outside transactions, never fsynced).
  virtual bool put_consumer_group(std::string_view group, std::string_view cursors,
                                  std::string& error) = 0;
  virtual void scan_consumer_groups(
      const std::function<void(std::string_view group, std::string_view cursors)>& visit) = 0;
  // Up to `max` deadline entries with at_ms <= through_ms, earliest first, starting after
  // `after` when given (outside transactions: the sweep reads them, then deletes each in its
  // transaction). Views die with the visit. The sweep passes the last entry of its previous
  // slice: seeking past the entries it deleted, rather than walking their tombstones again,
  // keeps a long sweep linear.
  virtual void scan_deadlines(const Deadline* after, std::uint64_t through_ms, std::size_t max,
                              const std::function<void(const Deadline&)>& visit) = 0;
  // Gives the space of deleted records back to the filesystem, if the storage holds on to it.
  virtual void reclaim() {}
  // The expiry time of every idempotency record held (at start: they count against their cap).
  virtual void scan_idempotency(const std::function<void(std::uint64_t expires_at_ms)>&) {}
  // "" when a write may go ahead, else why not: a storage whose disk is nearly full refuses before
  // the disk does (RocksDB handles a failed write badly). `grows`: the write adds data (enqueue);
  // deletions (acks) are allowed closer to full, since they are what frees space.
  virtual std::string no_room(bool /*grows*/) { return {}; }
  // Other processes write the same records (one Redis shared by several kited nodes): nothing read
  // may be kept from one call to the next, so the engine caches no device between calls.
  virtual bool shared() const { return false; }
  // Shared backends: the next transactions of this thread claim the devices whose meta they read,
  // so that other processes keep off them until they commit (or the claim lapses). Asked for by
  // a call that has lost races for them already, so that it cannot lose for ever.
  virtual void claim_next(bool /*claim*/) {}
  // Leaves a storage error state if it can (RocksDB: DB::Resume()); false with `error` set if not.
  virtual bool resume(std::string&) { return true; }
};

}  // namespace kite::server::store
