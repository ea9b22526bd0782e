// QueueEngine: the MessageStore rules (seqs, caps, conflation, idempotency, TTL, stats) written
// once over a Backend, so the memory and RocksDB stores behave the same by construction.
//
// Rules it keeps:
// - Every call for a device holds that device's stripe lock (64 stripes by hash of the id) from
//   its first read to its commit, so seq assignment and cap decisions are atomic per device while
//   different devices write in parallel and meet in the storage's group commit.
// - Each stripe caches its devices' meta records and short-queue indexes (device_cache.h): a
//   device that keeps up is enqueued and acked without reading storage. A failed write evicts
//   every device it touched. Over a shared backend (Redis) a device is cached for one call only.
// - A batch locks its stripes in ascending order: no two callers can wait on each other.
// - The global totals are reserved under their own small lock when a message is admitted and
//   returned if the write fails: they never pass a cap, even between devices.
// - Each message is decided completely (duplicate? fits? what to drop?) before anything is written
//   for it, so a rejected message leaves no trace.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <mutex>
#include <optional>

#include "store/device_cache.h"
#include "store/idempotency_budget.h"
#include "store/message_store.h"
#include "store/queue_backend.h"

namespace kite::server::store {

class QueueEngine final : public MessageStore {
 public:
  QueueEngine(std::unique_ptr<Backend> backend, const StoreOptions& options);

  EnqueueResult enqueue(std::string_view device_id, const NewMessage& message,
                        std::uint64_t now_ms) override;
  void enqueue_batch(std::span<const std::pair<std::string_view, NewMessage>> messages,
                     std::uint64_t now_ms, std::vector<EnqueueResult>& results) override;
  void read(std::string_view device_id, std::uint64_t after_seq, std::size_t max_messages,
            std::size_t max_bytes, std::uint64_t now_ms, std::vector<StoredMessage>& out) override;
  void ack(std::string_view device_id, std::uint64_t through_seq) override;
  void ack_batch(std::span<const std::pair<std::string_view, std::uint64_t>> acks) override;
  bool write_turn(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                  std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
                  std::span<const EventRecord> events) override;
  void enqueue_batch_deferred(std::span<const std::pair<std::string_view, NewMessage>> messages,
                              std::uint64_t now_ms, std::vector<EnqueueResult>& results,
                              std::uint64_t settle_group) override;
  bool write_turn_deferred(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                           std::span<const EventRecord> events) override;
  std::uint64_t write_ticket() const override { return backend_->write_ticket(); }
  bool written(std::uint64_t ticket) const override { return backend_->written(ticket); }
  std::uint64_t open_settle_group() override { return backend_->open_settle_group(); }
  void close_settle_group(std::uint64_t group) override { backend_->close_settle_group(group); }
  bool settled(std::uint64_t group) const override { return backend_->settled(group); }
  void write_pending() override;
  void for_each_event(const std::function<void(const EventRecord&)>& visit) override {
    backend_->scan_events(visit);
  }
  void trim_events(std::uint64_t through_id) override;
  void save_consumer_group(std::string_view group, std::span<const std::uint64_t> acked) override;
  void for_each_consumer_group(const CursorVisit& visit) override;
  void discard(std::string_view device_id, std::uint64_t seq) override;
  SweepResult sweep(std::uint64_t now_ms, std::size_t max_entries) override;
  void take_notices(std::vector<MessageNotice>& out) override;
  void reclaim() override { backend_->reclaim(); }
  QueueInfo info(std::string_view device_id) override;
  void set_uplink_last_received(std::string_view device_id, std::uint64_t seq) override;
  void set_member(std::string_view group, std::string_view device, bool member) override;
  void for_each_member(
      const std::function<void(std::string_view, std::string_view)>& visit) override {
    backend_->scan_members(visit);
  }
  std::uint64_t epoch() const override { return backend_->epoch(); }
  StoreStats stats() const override;
  bool healthy() const override { return healthy_.load(std::memory_order_relaxed); }
  bool recover() override;
  // A write refused because the disk is nearly full: unhealthy until recover() finds room.
  void refused_for_room(const std::string& why);

 private:
  struct Victim {  // a queued message chosen for deletion
    std::uint64_t seq = 0, bytes = 0;
    std::string conflation_key;
    bool expired = false;
    std::string message_id;  // for its notice (empty for an acked message: it needs none)
    std::uint64_t enqueued_at_ms = 0;
    static Victim of(const MessageView& m, bool expired) {
      return {m.seq,
              m.bytes(),
              std::string(m.conflation_key),
              expired,
              std::string(m.message_id),
              m.enqueued_at_ms};
    }
  };
  // The public calls that write, each as one attempt: queue_engine_retry.cc runs an attempt again
  // when its commit met another node's write to one of its devices (shared backends).
  static constexpr int kAttempts = 16;
  static constexpr int kClaimAfter = 2;  // conflicts before an attempt claims its devices
  static bool& conflicted();             // this thread's last finish() met such a write
  static void back_off(int attempt);     // a random pause that grows with the attempts
  // Runs `attempt` until it does not conflict, at most `attempts` times; false if every one did.
  template <typename Attempt>
  bool retrying(Attempt&& attempt, int attempts = kAttempts) {
    for (int n = 1; n <= attempts; ++n) {
      conflicted() = false;
      if (n == kClaimAfter + 1) backend_->claim_next(true);
      attempt();
      if (!conflicted()) break;
      if (n < attempts) back_off(n);
    }
    backend_->claim_next(false);
    return !conflicted();
  }
  // Seqs handed out ahead of a durable meta (write-behind), per device: one meta write each.
  static constexpr std::uint64_t kSeqReservation = 1024;
  void enqueue_batch_retrying(std::span<const std::pair<std::string_view, NewMessage>> messages,
                              std::uint64_t now_ms, std::vector<EnqueueResult>& results,
                              bool deferred, std::uint64_t settle_group = 0);
  bool write_turn_retrying(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                           std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
                           std::span<const EventRecord> events, bool defer_events);
  void enqueue_batch_once(std::span<const std::pair<std::string_view, NewMessage>> messages,
                          std::uint64_t now_ms, std::vector<EnqueueResult>& results,
                          bool deferred = false, std::uint64_t settle_group = 0);
  void read_once(std::string_view device_id, std::uint64_t after_seq, std::size_t max_messages,
                 std::size_t max_bytes, std::uint64_t now_ms, std::vector<StoredMessage>& out);
  bool write_turn_once(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                       std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
                       std::span<const EventRecord> events, bool defer_events = false);
  void discard_once(std::string_view device_id, std::uint64_t seq);
  void set_uplink_last_received_once(std::string_view device_id, std::uint64_t seq);

  struct Counters;  // what one call changed, applied to the stats only if its write succeeds
  struct Room {     // queued messages and bytes
    std::uint64_t messages = 0, bytes = 0;
  };

  struct Stripe {
    std::mutex mutex;
    DeviceCache cache;  // guarded by mutex
  };
  // The devices one call has loaded or changed: evicted from the cache if its write fails.
  using Touched = std::vector<std::string_view>;
  // Deferred enqueues: the seqs about to be given out, reserved durably where they pass the
  // reservation. True when a reservation moved, so the commit must be durable at once.
  bool reserve_seqs(Transaction& txn, const Touched& touched);

  Stripe& stripe(std::string_view device);
  std::unique_lock<std::mutex> lock(Stripe& stripe);
  // Locks the stripes of every device in ascending address order: callers never deadlock.
  template <typename Items, typename DeviceOf>
  std::vector<std::unique_lock<std::mutex>> lock_all(const Items& items, DeviceOf device_of);
  void stage_ack(Transaction& txn, std::string_view device, std::uint64_t through_seq,
                 Touched& touched, std::vector<Victim>& acked);
  // The device's cached state, read from storage on a miss. With `scratch`, a miss is read into
  // it instead of the cache: reads (a device connecting, a presence query) must not fill the
  // cache with idle devices; only writes (enqueue, ack) make a device hot.
  CachedDevice& load(Transaction& txn, std::string_view device, Touched& touched,
                     CachedDevice* scratch = nullptr);
  // One message into the transaction: decide() everything before write() anything, so a
  // refusal leaves nothing staged.
  EnqueueResult stage(Transaction& txn, std::string_view device, CachedDevice& cached,
                      const NewMessage& message, std::uint64_t now_ms, Counters& counters);
  struct Admission {  // what admitting one message takes
    std::uint64_t size = 0;
    std::optional<ConflationEntry> replaced;  // the queued message with its conflation key
    std::vector<Victim> victims;              // oldest messages that go to make room
  };
  // The answer when the message is not admitted (a duplicate, a cap), else nullopt and
  // `admission` filled.
  std::optional<EnqueueResult> decide(Transaction& txn, std::string_view device,
                                      const CachedDevice& cached, const NewMessage& message,
                                      std::uint64_t now_ms, Counters& counters,
                                      Admission& admission);
  EnqueueResult write(Transaction& txn, std::string_view device, CachedDevice& cached,
                      const NewMessage& message, std::uint64_t now_ms, Counters& counters,
                      const Admission& admission);
  bool indexed_victims(const CachedDevice& cached, std::uint64_t through_seq,
                       std::vector<Victim>& victims);
  bool next_oldest(Transaction& txn, std::string_view device, std::uint64_t skip_seq,
                   std::uint64_t now_ms, std::uint64_t& cursor, Victim& victim);
  bool admit(const DeviceMeta& meta, Room freed, std::uint64_t size, Counters& counters);
  void remove(Transaction& txn, std::string_view device, DeviceMeta& meta,
              const std::vector<Victim>& victims);
  void release(const std::vector<Victim>& victims);
  // Commits `txn`: at once (fsynced when `sync`), or `deferred` (write-behind may hold it: only
  // for writes nobody is told are durable, such as acknowledgements and expiry), `what` saying
  // what it means to settle groups.
  bool finish(Transaction& txn, bool sync, bool wrote, const Touched& touched,
              std::string* error = nullptr, bool deferred = false, const DeferredCommit& what = {});
  void apply(Counters& counters);  // moves its notices out
  // A notice of a removed message (expired or dropped) for `device`.
  static MessageNotice notice_of(std::string_view device, const Victim& victim,
                                 MessageNotice::Kind kind, const char* reason,
                                 std::uint64_t now_ms);
  void publish(std::vector<MessageNotice>& notices);
  // sweep()'s work on one due deadline, staged in `txn`.
  void sweep_one(Transaction& txn, const Deadline& deadline, std::uint64_t now_ms, Touched& touched,
                 Counters& counters, std::vector<Victim>& removed, SweepResult& result);
  DeviceMeta read_meta(std::string_view device);

  const std::unique_ptr<Backend> backend_;
  const StoreOptions options_;
  std::array<Stripe, 64> stripes_;

  mutable std::mutex totals_mutex_;  // guards totals_: the global caps' view of what is queued
  Room totals_;

  IdempotencyBudget idempotency_;  // the idempotency records' own cap (idempotency_budget.h)

  struct Due {  // a deadline with its own copy of the device id
    Deadline deadline;
    std::string device;
  };
  std::mutex sweep_mutex_;  // one sweep() at a time; guards sweep_cursor_
  Due sweep_cursor_;        // the last entry of the previous slice (device empty: none)

  std::mutex notices_mutex_;            // guards notices_
  std::vector<MessageNotice> notices_;  // oldest first, at most kMaxNotices

  std::atomic<bool> healthy_{true};
  // recover(): steady-clock time of the last attempt, so a broken store is probed once a second.
  static constexpr std::int64_t kRecoveryIntervalMs = 1000;
  std::atomic<std::int64_t> last_recovery_ms_{std::numeric_limits<std::int64_t>::min() / 2};
  struct AtomicStats {
    std::atomic<std::uint64_t> enqueued{0}, acked{0}, expired{0}, dropped_full{0}, rejected_full{0},
        conflated{0}, duplicates{0}, errors{0}, dropped_too_large{0}, idempotency_refused{0},
        writes{0}, recoveries{0}, swept{0}, undelivered{0}, cancelled{0}, notices_lost{0};
  } stats_;
};

template <typename Items, typename DeviceOf>
std::vector<std::unique_lock<std::mutex>> QueueEngine::lock_all(const Items& items,
                                                                DeviceOf device_of) {
  std::vector<Stripe*> stripes;
  for (const auto& item : items) stripes.push_back(&stripe(device_of(item)));
  std::sort(stripes.begin(), stripes.end());  // one global order: batches never deadlock
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (Stripe* s : stripes) locks.push_back(lock(*s));
  return locks;
}

}  // namespace kite::server::store
