// EventLog: the retained device events of one kited, in the order they happened here, each with
// an id that only grows. Workers append; the admin loop's streams read from any id onwards.
//
// Rules it keeps:
//  - Thread-safe: one mutex, held to move events in or copy them out, never across I/O.
//  - Ids are consecutive from `first_id`; kited starts them at its boot time in microseconds, so
//    the ids of a restarted server are above those of the one before it (1 event per microsecond
//    for the whole uptime would be needed to overtake).
//  - Retention is bounded three ways: events, bytes and age. The oldest go first.
//  - Storage: event bytes are copied into large chunks, freed a whole chunk at a time once every
//    event in it is dropped; the per-event index entry is 32 bytes. Appending costs a memcpy, not
//    an allocation, and dropping costs nothing per event (events are a hot path: one delivery
//    receipt per message sent).
//  - A reader that asks for events after an id the log no longer holds is told so (a gap, with
//    the range of ids it missed) and reads on from the oldest event held: nothing is skipped
//    silently, and nothing retained is skipped at all.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "events/event.h"

namespace kite::server::events {

struct RetentionLimits {
  std::size_t max_events = 100'000;
  std::size_t max_bytes = 64 * 1024 * 1024;
  std::int64_t max_age_ms = 3'600'000;
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

  EventLog(RetentionLimits limits, std::uint64_t first_id);

  // Assigns ids, copies `batch` in (and clears it), drops what retention no longer allows, then
  // calls the listener.
  void append(EventBatch& batch, std::int64_t now_ms);
  // Called after every append, on the appending thread with the log's mutex held: keep it to a
  // signal (uv_async_send). Once set_listener(nullptr) returns, the old listener is never called.
  void set_listener(std::function<void()> listener);

  // Copies the events after `after` that match into `out`, oldest first, until `max_events` or
  // `max_bytes` of data; scans at most `max_scan` events. `after` 0 reads from the oldest held
  // event without reporting a gap.
  ReadResult read(std::uint64_t after, const Match& match, std::size_t max_events,
                  std::size_t max_bytes, std::size_t max_scan, std::vector<Event>& out) const;

  // Drops what is older than the age limit; appends do it too, this is for quiet times.
  void expire(std::int64_t now_ms);

  // The newest id given so far (first_id - 1 before the first event).
  std::uint64_t last_id() const;
  // Events dropped by retention, and events and bytes held now.
  struct Stats {
    std::uint64_t last_id = 0, dropped = 0, held = 0, held_bytes = 0;
  };
  Stats stats() const;
  const RetentionLimits& limits() const { return limits_; }
  std::uint64_t first_id() const { return first_id_; }

 private:
  struct Entry {
    std::int64_t time_ms;
    const char* bytes;  // the device id, then the data, in a chunk
    std::uint32_t device_size, data_size;
    EventType type;
  };
  struct Chunk {
    std::unique_ptr<char[]> memory;
    std::size_t capacity = 0, used = 0, entries = 0;
  };
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  // With mutex_ held:
  void trim(std::int64_t now_ms);
  const char* store(std::string_view device, std::string_view data);
  EventView view(std::size_t index) const;
  static std::size_t cost(const Entry& entry) {
    return sizeof(Entry) + entry.device_size + entry.data_size;
  }

  const RetentionLimits limits_;
  const std::uint64_t first_id_;
  mutable std::mutex mutex_;
  std::deque<Entry> events_;  // ids next_id_ - size() .. next_id_ - 1
  std::deque<Chunk> chunks_;  // the events' bytes, oldest first
  std::uint64_t next_id_;
  std::size_t bytes_ = 0;  // of the events held (index entries and bytes), for retention
  std::uint64_t dropped_ = 0;
  std::function<void()> listener_;
};

}  // namespace kite::server::events
