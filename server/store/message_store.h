// The durable per-device message store: the storage seam between kited and its queues.
//
// Each device has a downlink queue. enqueue() gives every message the device's next seq (1, 2, 3
// ..., never reused, persisted across restarts) and makes it durable before it returns Queued; the
// device later reads the queue in seq order and acks a prefix of it. Nothing here names RocksDB:
// the cluster store (Redis Streams) implements the same interface with the same rules.
//
// Rules every implementation keeps:
// - Size of a message = payload + topic + content type + conflation key bytes; caps count that.
// - Caps per device (messages, bytes) and global (messages, bytes). When a cap would be passed:
//   Reject -> Full and nothing stored; DropOldest -> the oldest queued messages of THAT device are
//   deleted until the message fits (dropped_oldest, stats().dropped_full); if the device has
//   nothing left to drop, Full. A message larger than the per-device byte cap is always Full.
//   Expired messages at the head of the queue go first under either policy
//   (stats().expired).
// - Conflation: a message with a conflation key replaces the device's queued message with the same
//   key (latest state wins; replaced = true). The new message takes a new seq.
// - Idempotency: an idempotency key seen for the same device within idempotency_window_ms answers
//   Duplicate with the original seq and message_id and stores nothing, even if the original has
//   been delivered and acked since. Keys are per device and expire lazily.
// - Idempotency records have their own cap (idempotency_records, over all devices, counted until
//   their window ends, also across restarts): a message with a new key beyond it answers Busy and
//   nothing is stored; messages without a key, and duplicates, are not affected. Concurrent
//   callers may pass the cap by the messages they have in flight.
// - TTL: expires_at = now + ttl (ttl 0: never). read() skips expired messages and deletes them;
//   sweep() deletes them for devices that never read again. Every removal of a message that was
//   not delivered (expired, dropped, replaced) leaves a notice (take_notices()).
// - Deadlines: a message with a TTL or a fallback_after_ms is indexed by the time it falls due, so
//   sweep() costs the deadlines due, never a scan of every queue. Index entries are not deleted
//   when a message is acked; sweep() drops those it finds stale.
// - Time is always passed in as Unix milliseconds (now_ms); the store reads no clock for its rules.
// - Inputs: device id 1..65535 bytes; topic, content type, conflation and idempotency keys at most
//   65535 bytes each; otherwise Invalid. Payloads may be any bytes.
// - message_id: 26 characters of lowercase base32 (URL-safe), random 128 bits: unique across
//   devices and restarts.
// - Failures never throw or crash: they are logged with context, counted in stats().errors,
//   answered as Error (or ignored for void calls), and make healthy() false until a write succeeds.
//
// Durability: Sync fsyncs every write (survives power loss); Async leaves the write-ahead log in
// the OS page cache (survives kill -9 of kited, not power loss). Acks and expiry deletions are
// never fsynced: losing one only means a resend, which QoS 1 allows.
//
// Costs (RocksDB, measured on a shared 2-core VM, 100-byte payloads, one sender, before the
// engine's device cache): a single Async enqueue is one WAL append plus memtable work, ~25k
// messages/s; enqueue_batch of 256 reaches ~30k/s. A Sync enqueue waits for one fsync: ~300-700/s
// alone, ~2-3k/s with 4 concurrent senders (group commit shares fsyncs), ~17-30k/s in batches of
// 256. High-rate senders under Sync must batch. With the cache, a message to a device that keeps
// up costs four memtable inserts and no read (message and meta on enqueue, delete and meta on
// ack): about 15 us of CPU in kited's p2p benchmark (docs/benchmarks.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::server {

enum class FullPolicy : std::uint8_t { Reject, DropOldest };
enum class Durability : std::uint8_t { Sync, Async };

struct StoreOptions {
  Durability durability = Durability::Async;
  std::uint32_t per_device_messages = 10'000;
  std::uint64_t per_device_bytes = 16u << 20;
  std::uint64_t global_messages = 10'000'000;
  std::uint64_t global_bytes = 4ull << 30;
  FullPolicy full_policy = FullPolicy::Reject;
  std::uint64_t idempotency_window_ms = std::chrono::milliseconds(std::chrono::hours(24)).count();
  std::uint64_t idempotency_records = 10'000'000;  // live idempotency records, all devices
  // RocksDB under Async: deferred writes (acknowledgements, expiry) wait in memory up to this
  // long and go to RocksDB together; a message acknowledged meanwhile is never written. 0: every
  // write goes at once. Ignored under Sync, which writes (and fsyncs) every call.
  std::uint32_t write_behind_ms = 0;
};

struct NewMessage {
  std::string_view payload, topic, content_type, conflation_key, idempotency_key;
  std::uint64_t ttl_ms = 0;  // 0: never expires (64-bit: a year is 3.15e10 ms)
  // Not acknowledged this long after it was stored: an Undelivered notice, and the message is
  // removed if fallback_cancel (0: no deadline).
  std::uint64_t fallback_after_ms = 0;
  bool fallback_cancel = false;
};

// Something that happened to a queued message other than its delivery, for the event log and the
// message status book: taken from the store with take_notices().
struct MessageNotice {
  enum class Kind : std::uint8_t {
    Expired,      // its TTL ran out; it is gone
    Dropped,      // removed undelivered; `reason` says why
    Replaced,     // a newer message with its conflation key took its place (message_id unknown)
    Undelivered,  // its fallback deadline passed unacknowledged; `cancelled`: it is gone too
  };
  Kind kind = Kind::Expired;
  std::string device, message_id;  // message_id may be empty (Replaced)
  std::uint64_t seq = 0, enqueued_at_ms = 0;
  std::uint64_t at_ms = 0;  // when it happened; 0: the store had no clock at hand, use "now"
  const char* reason = "";  // Dropped: "queue_full" or "too_large"
  bool cancelled = false;   // Undelivered
};

// What one sweep() call did.
struct SweepResult {
  std::size_t visited = 0;    // deadline entries looked at (each is then deleted)
  std::size_t expired = 0;    // messages it removed as expired
  std::size_t fallbacks = 0;  // fallback deadlines that found their message unacknowledged
  bool more = false;  // entries due at now_ms were left for the next call (false after a failure)
};

struct StoredMessage {
  std::uint64_t seq = 0;
  std::string message_id;
  std::uint64_t enqueued_at_ms = 0;
  std::uint64_t expires_at_ms = 0;  // 0: never
  std::string topic, content_type, conflation_key, payload;
};

struct EnqueueResult {
  enum class Status : std::uint8_t {
    Queued,
    Duplicate,  // idempotency key seen: seq and message_id are the original's
    Full,       // a cap said no (see the rules above); nothing stored
    Invalid,    // the input breaks a limit above; `error` says which (a caller bug, not storage)
    Busy,       // the idempotency records are at their cap; `error` says so; nothing stored
    Error,      // storage failure; `error` says what; nothing stored
  };
  Status status = Status::Error;
  std::uint64_t seq = 0;
  std::string message_id;
  std::uint32_t dropped_oldest = 0;  // DropOldest deleted this many to make room
  bool replaced = false;             // a queued message with the same conflation key was removed
  std::string error;
};

struct QueueInfo {
  std::uint64_t queued_messages = 0, queued_bytes = 0;
  std::uint64_t next_seq = 1;              // the seq the next enqueue will get
  std::uint64_t acked_through = 0;         // highest seq the device confirmed
  std::uint64_t uplink_last_received = 0;  // as set_uplink_last_received() left it
};

// Counters since the store was opened, except messages and bytes: those are what is queued now.
struct StoreStats {
  std::uint64_t messages = 0, bytes = 0;
  std::uint64_t enqueued = 0, acked = 0, expired = 0, dropped_full = 0, rejected_full = 0,
                conflated = 0, duplicates = 0, errors = 0;
  std::uint64_t dropped_too_large = 0;    // discard(): larger than the device accepts
  std::uint64_t idempotency_records = 0;  // live now (not a counter): within their window
  std::uint64_t idempotency_refused = 0;  // Busy answers
  std::uint64_t writes = 0;               // storage writes that held something (one per commit)
  std::uint64_t recoveries = 0;           // recover() calls that left an error state
  std::uint64_t swept = 0;                // expired messages removed by sweep()
  std::uint64_t undelivered = 0;          // fallback deadlines that passed unacknowledged
  std::uint64_t cancelled = 0;            // ...whose message was then removed
  std::uint64_t notices_lost = 0;         // notices dropped past kMaxNotices
  std::uint64_t unwritten = 0;  // write-behind: records acknowledged before their write was due
};

// One event of the backends' event log, as the store keeps it (events/event_log.h gives it its
// meaning): ids only grow; device and data are views the caller keeps alive during the call.
struct EventRecord {
  std::uint64_t id = 0;
  std::int64_t time_ms = 0;
  std::uint8_t type = 0;
  std::string_view device, data;
};

// Every member is thread-safe. Calls for one device are serialised; different devices proceed in
// parallel.
class MessageStore {
 public:
  virtual ~MessageStore() = default;

  virtual EnqueueResult enqueue(std::string_view device_id, const NewMessage& message,
                                std::uint64_t now_ms) = 0;
  // The high-rate path: many messages, possibly for many devices, in ONE storage write (one fsync
  // under Sync). results[i] answers messages[i]; later messages see earlier ones (same rules as a
  // loop of enqueue calls). If the write fails, every answer but Invalid becomes Error.
  virtual void enqueue_batch(std::span<const std::pair<std::string_view, NewMessage>> messages,
                             std::uint64_t now_ms, std::vector<EnqueueResult>& results) = 0;
  // Replaces `out` with up to max_messages queued messages with seq > after_seq, in seq order,
  // stopping before max_bytes would be passed (but always at least one message if any is queued,
  // so a large message cannot block the queue). Expired messages are deleted and skipped.
  virtual void read(std::string_view device_id, std::uint64_t after_seq, std::size_t max_messages,
                    std::size_t max_bytes, std::uint64_t now_ms,
                    std::vector<StoredMessage>& out) = 0;
  // The device confirmed every message with seq <= through_seq: delete them.
  virtual void ack(std::string_view device_id, std::uint64_t through_seq) = 0;
  // The acks of many devices (each device at most once) in ONE storage write: what a worker
  // gathers in one loop turn.
  virtual void ack_batch(std::span<const std::pair<std::string_view, std::uint64_t>> acks) = 0;
  // One worker loop turn's bookkeeping in ONE storage write: the devices' acks (as ack_batch), the
  // highest QoS 1 uplink seq accepted from each device (as set_uplink_last_received; each device
  // at most once) and the turn's events. Fsynced under Sync when it holds uplinks or events, since
  // the caller acknowledges uplinks to the devices, and shows events to readers, only after it
  // returns true; false: the write failed, nothing of it stored.
  virtual bool write_turn(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                          std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
                          std::span<const EventRecord> events) = 0;

  // Write-behind (StoreOptions::write_behind_ms): the same two calls, but they may return before
  // their writes are durable. The caller must not tell anyone they are (a publisher's ack, an
  // event shown) until written(write_ticket()), the ticket taken after the call, is true: at most
  // about write_behind_ms later. A message acknowledged meanwhile may never be written at all.
  // Where there is no write-behind they are the calls above, and every ticket is written.
  // `settle_group`: see open_settle_group(); 0 for none.
  virtual void enqueue_batch_deferred(
      std::span<const std::pair<std::string_view, NewMessage>> messages, std::uint64_t now_ms,
      std::vector<EnqueueResult>& results, std::uint64_t /*settle_group*/ = 0) {
    enqueue_batch(messages, now_ms, results);
  }
  virtual bool write_turn_deferred(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                                   std::span<const EventRecord> events) {
    return write_turn(acks, {}, events);
  }
  virtual std::uint64_t write_ticket() const { return 0; }
  virtual bool written(std::uint64_t /*ticket*/) const { return true; }
  // Settle groups: the messages some deferred enqueues store (a service's read), open to close,
  // are final without a write once each was acknowledged and deleted before its write was due:
  // settled(group) is then true, and what waits on them need not wait for written(). So a
  // message delivered at once is answered when its device acknowledges it or when it is written,
  // whichever comes first. Not every group settles (one whose messages wait offline, or one a
  // write began under): written() still holds. Where there is no write-behind, none does.
  virtual std::uint64_t open_settle_group() { return 0; }
  virtual void close_settle_group(std::uint64_t /*group*/) {}
  virtual bool settled(std::uint64_t /*group*/) const { return false; }
  // Writes now whatever waits (a drain: the acks that wait for it can go before the goaway).
  virtual void write_pending() {}

  // The event log's records as write_turn stored them, in id order (at start, to rebuild the log).
  virtual void for_each_event(const std::function<void(const EventRecord&)>& visit) = 0;
  // Deletes the events with id <= through_id (retention dropped them). Never fsynced: an event
  // kept by a power cut is trimmed again at the next start.
  virtual void trim_events(std::uint64_t through_id) = 0;
  // The event log's consumer groups: each group's acknowledged cursors, saved when they move
  // (never fsynced: a save lost in a crash only means events given again, which at-least-once
  // allows) and visited at start.
  using CursorVisit =
      std::function<void(std::string_view group, std::span<const std::uint64_t> acked)>;
  virtual void save_consumer_group(std::string_view group,
                                   std::span<const std::uint64_t> acked) = 0;
  virtual void for_each_consumer_group(const CursorVisit& visit) = 0;
  // Handles up to max_entries deadlines due at now_ms, oldest first, in one write: removes the
  // expired messages of every device, online or not (caps get their room back), and raises the
  // fallbacks of messages still unacknowledged. Locks the devices of one slice at a time.
  virtual SweepResult sweep(std::uint64_t now_ms, std::size_t max_entries) = 0;
  // Moves the notices gathered since the last call into `out` (appended, oldest first). At most
  // kMaxNotices are held; past that the oldest go and are counted in stats().notices_lost.
  static constexpr std::size_t kMaxNotices = 100'000;
  virtual void take_notices(std::vector<MessageNotice>& out) = 0;
  // Gives the disk space of deleted records back (RocksDB: flush and compact); slow, for a
  // background thread after a large sweep.
  virtual void reclaim() {}
  // A queued message that can never be delivered (larger than the device accepts): deleted and
  // counted in stats().dropped_too_large, never as acked. A seq no longer queued is a no-op.
  virtual void discard(std::string_view device_id, std::uint64_t seq) = 0;
  virtual QueueInfo info(std::string_view device_id) = 0;

  // Uplink dedup state that must survive restarts: the highest uplink seq accepted from the device
  // (read back in info()). Stored as given (the session decides what "highest" means); written
  // with the durability setting.
  virtual void set_uplink_last_received(std::string_view device_id, std::uint64_t seq) = 0;

  // Group membership, kept with the queues (written with the durability setting): a device joins
  // (member = true) or leaves a group. Failures are logged and counted like other writes.
  virtual void set_member(std::string_view group, std::string_view device, bool member) = 0;
  // Every (group, device) pair, in no particular order (at start, to rebuild the directory).
  virtual void for_each_member(
      const std::function<void(std::string_view group, std::string_view device)>& visit) = 0;

  // This store's history: a new random non-zero value when the store is created empty, unchanged
  // across restarts. Clients compare it to learn that queued history was lost.
  virtual std::uint64_t epoch() const = 0;
  virtual StoreStats stats() const = 0;
  virtual bool healthy() const = 0;  // false after a storage error until a write succeeds again
  // Tries to leave a storage error state (RocksDB: DB::Resume(), e.g. once a full disk has room
  // again); true when the store is healthy afterwards. Meant for a timer while !healthy().
  virtual bool recover() = 0;
};

// Opens (creating if needed) the RocksDB store in `directory`. On failure: nullptr, and `error`
// says what happened and what to do (directory locked by another kited, permissions, corruption).
std::unique_ptr<MessageStore> open_rocksdb_store(const std::string& directory,
                                                 const StoreOptions& options, std::string& error);

// Same rules, kept in memory: nothing survives a restart. For tests and for brokers without disk.
std::unique_ptr<MessageStore> make_memory_store(const StoreOptions& options);

}  // namespace kite::server
