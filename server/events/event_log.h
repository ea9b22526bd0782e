// EventLog: the retained device events of one kited, in the order they happened here, each with
// an id that only grows. Workers append; the admin loop's streams read from any id onwards.
//
// Rules it keeps:
//  - Thread-safe: one mutex, held to move events in or copy them out, never across I/O.
//  - Ids only grow, one per event; kited starts them at its boot time in microseconds, or above
//    the newest event kept in the store, so a restarted server never gives an id twice.
//  - Durable (with a store, attached by open()): an event is written to the store before any
//    reader sees it, and at start the log is rebuilt from what the store kept, ids and all, so
//    Last-Event-ID works across restarts and kill -9. Appending is two steps, reserve() and
//    publish(), so a worker writes its loop turn's events in the same store write as its uplinks
//    and acks; a reader never sees an id while an earlier one is still being written. An event
//    whose write failed is still shown (the store logged and counted the failure): delivery to
//    readers is at least once, never lost while the process lives.
//  - Retention is bounded three ways: events, bytes and age. The oldest go first, from memory at
//    once and from the store in one range deletion per expire() tick.
//  - Storage: event bytes are copied into large chunks, freed a whole chunk at a time once every
//    event in it is dropped; the per-event index entry is 32 bytes. Appending costs a memcpy, not
//    an allocation, and dropping costs nothing per event (events are a hot path: one delivery
//    receipt per message sent).
//  - A reader that asks for events after an id the log no longer holds is told so (a gap, with
//    the range of ids it missed) and reads on from the oldest event held: nothing is skipped
//    silently, and nothing retained is skipped at all.
//  - Shared (a cluster node, attached by share()): the log is one for every node. An append goes
//    to the shared log (SharedEvents), which gives the ids; this log shows only what comes back
//    from there through mirror(), in the shared order, its own events included. So every node
//    shows the same events under the same ids, and a reader may move between nodes.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "events/event.h"
#include "store/message_store.h"

namespace kite::server::events {

struct RetentionLimits {
  std::size_t max_events = 100'000;
  std::size_t max_bytes = 64 * 1024 * 1024;
  std::int64_t max_age_ms = 3'600'000;
};

// The log every node of a cluster shows (cluster/redis_event_stream.h).
class SharedEvents {
 public:
  virtual ~SharedEvents() = default;
  // Writes the events to the shared log, which gives them their ids (the records' ids are
  // ignored); every node then mirrors them. Any thread; a failure is the callee's to log and
  // retry.
  virtual void append(std::span<const EventRecord> records) = 0;
  // Retention dropped every event through `id` here: the shared log may drop them too.
  virtual void trim(std::uint64_t through_id) = 0;
};

struct ReadResult {
  std::uint64_t next_after =
      0;             // the id to read after next time (every id scanned, matched or not)
  bool gap = false;  // events after the asked id were dropped before this read
  std::uint64_t missed_first = 0, missed_last = 0;  // the ids lost, when gap
};

class EventLog {
 public:
  // Matches an event for one reader's filter; called with the log's mutex held, so it must take
  // no other lock (a reader would then stall every worker's append behind that lock).
  using Match = std::function<bool(const EventView&)>;

  // Events given ids by reserve(), not yet shown to readers; `records` are views into the batch
  // reserved, to write to the store, and live as long as it does. publish() needs only last_id
  // (and the records when the log is shared: a cluster's store writes at once, holds nothing).
  struct Reserved {
    std::uint64_t last_id = 0;
    std::vector<EventRecord> records;
    bool empty() const { return records.empty(); }
  };

  EventLog(RetentionLimits limits, std::uint64_t first_id);

  // Makes the log durable in `store`: loads the events earlier runs left there (ids kept; later
  // ids are above them), applies retention, and from now on writes every append there first.
  // Call once, before the first append.
  void open(MessageStore& store, std::int64_t now_ms);
  bool durable() const { return store_ != nullptr; }

  // Makes the log a mirror of `shared` (instead of open()): appends go there, and readers see
  // what mirror() brings back. Call once, before the first append or mirror.
  void share(SharedEvents& shared);
  bool shared() const { return shared_ != nullptr; }
  // The shared log's next events, in its order (ids only grow; those already held are skipped).
  void mirror(std::span<const EventRecord> records, std::int64_t now_ms);
  // Shared: `after` is an id another node showed that this one has not mirrored yet (within
  // kAheadTolerance of the newest here). A read after it waits (nothing, no gap) instead of
  // taking it for an unknown id and giving everything held again.
  static constexpr std::uint64_t kAheadTolerance = 10'000'000;
  bool awaiting(std::uint64_t after) const;

  // The two steps of an append for a caller that writes the events itself (a worker's turn):
  // reserve() gives the batch's events their ids and holds them unseen; publish() shows them to
  // readers once written (those reserved earlier first), drops what retention no longer allows
  // and calls the listener. The batch must live until publish() returns.
  void reserve(const EventBatch& batch, Reserved& out);
  void publish(const Reserved& reserved, std::int64_t now_ms);

  // Both steps with the write between (to the store, if open()): for other callers. Clears
  // `batch`.
  void append(EventBatch& batch, std::int64_t now_ms);
  // Called after every publish, on the publishing thread with the log's mutex held: keep it to a
  // signal (uv_async_send). Once set_listener(nullptr) returns, the old listener is never called.
  void set_listener(std::function<void()> listener);

  // Copies the events after `after` that match into `out`, oldest first, until `max_events` or
  // `max_bytes` of data; scans at most `max_scan` events. `after` 0 reads from the oldest held
  // event without reporting a gap.
  ReadResult read(std::uint64_t after, const Match& match, std::size_t max_events,
                  std::size_t max_bytes, std::size_t max_scan, std::vector<Event>& out) const;

  // Counts the held events after `after` that match (at most max_scan looked at: `capped`), and
  // gives the first one's id and time: a consumer group's lag and oldest pending event.
  struct Count {
    std::uint64_t events = 0, first_id = 0;
    std::int64_t first_time_ms = 0;
    bool capped = false;
  };
  Count count(std::uint64_t after, const Match& match, std::size_t max_scan) const;

  // Drops what is older than the age limit (appends do it too; this is for quiet times) and
  // deletes from the store what retention dropped since the last call.
  void expire(std::int64_t now_ms);

  // The newest id readers can see (first_id - 1 before the first event).
  std::uint64_t last_id() const;
  // Events recorded by this process, dropped by retention, and events and bytes held now.
  struct Stats {
    std::uint64_t last_id = 0, recorded = 0, dropped = 0, held = 0, held_bytes = 0;
  };
  Stats stats() const;
  const RetentionLimits& limits() const { return limits_; }

 private:
  // 32 bytes, one per event held: a device id fits 16 bits (1-128 bytes; the store's records
  // give it 2 bytes too).
  struct Entry {
    std::uint64_t id;
    std::int64_t time_ms;
    const char* bytes;  // the device id, then the data, in a chunk
    std::uint32_t data_size;
    std::uint16_t device_size;
    EventType type;
  };
  static_assert(sizeof(Entry) == 32);
  struct Chunk {
    std::unique_ptr<char[]> memory;
    std::size_t capacity = 0, used = 0, entries = 0;
  };
  struct Pending {  // reserved ids up to last_id; written when done
    std::uint64_t last_id;
    bool done;
  };
  static constexpr std::size_t kChunkBytes = 256 * 1024;
  // What a reader's copy adds to an event's own fields and device id: its id, type and time,
  // and the names of the fields (append_json), counted against read()'s max_bytes.
  static constexpr std::size_t kCommonFieldsBytes = 64;

  // With mutex_ held:
  bool awaiting_locked(std::uint64_t after) const;
  void hold(std::uint64_t id, const EventView& event);
  void trim(std::int64_t now_ms);
  const char* copy_in(std::string_view device, std::string_view data);
  EventView view(const Entry& entry) const;
  std::size_t first_after(std::uint64_t id) const;  // index of the first entry with a larger id
  static std::size_t cost(const Entry& entry) {
    return sizeof(Entry) + entry.device_size + entry.data_size;
  }

  const RetentionLimits limits_;
  MessageStore* store_ = nullptr;   // set once by open(), before any append
  SharedEvents* shared_ = nullptr;  // set once by share(), before any append
  mutable std::mutex mutex_;
  std::deque<Entry> events_;     // in id order; those above visible_through_ are being written
  std::deque<Chunk> chunks_;     // the events' bytes, oldest first
  std::deque<Pending> pending_;  // reservations in id order, until every earlier one is done
  std::uint64_t next_id_;
  std::uint64_t visible_through_;  // readers see ids up to this
  std::uint64_t dropped_through_;  // every id up to this is gone (or never was, before first_id)
  std::uint64_t trimmed_in_store_ = 0;
  std::size_t bytes_ = 0;  // of the events held (index entries and bytes), for retention
  std::uint64_t recorded_ = 0, dropped_ = 0;
  std::function<void()> listener_;
  std::string scratch_;  // hold()'s working space
};

}  // namespace kite::server::events
