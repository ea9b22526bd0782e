#include "events/event_log.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/log.h"

namespace kite::server::events {

EventLog::EventLog(RetentionLimits limits, std::uint64_t first_id)
    : limits_(limits),
      next_id_(first_id),
      visible_through_(first_id - 1),
      dropped_through_(first_id - 1) {}

void EventLog::set_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void EventLog::open(MessageStore& store, std::int64_t now_ms) {
  std::size_t loaded = 0, skipped = 0;
  {
    std::lock_guard lock(mutex_);
    store.for_each_event([&](const EventRecord& record) {
      const std::uint64_t newest = events_.empty() ? 0 : events_.back().id;
      if (record.type >= kEventTypes || record.id <= newest || record.id == 0 ||
          !well_formed_fields(record.data)) {
        ++skipped;  // a later version's type or form, or out of order: not ours to show
        return;
      }
      hold(record.id, {record.id, record.time_ms, static_cast<EventType>(record.type),
                       record.device, record.data});
      ++loaded;
    });
    if (!events_.empty()) {
      dropped_through_ = events_.front().id - 1;
      next_id_ = std::max(next_id_, events_.back().id + 1);
      visible_through_ = next_id_ - 1;
    }
    trimmed_in_store_ = dropped_through_;
    store_ = &store;
    trim(now_ms);
  }
  KITE_LOG(info, "events.loaded", {{"events", loaded}, {"skipped", skipped}});
}

void EventLog::share(SharedEvents& shared) {
  std::lock_guard lock(mutex_);
  shared_ = &shared;
  // The shared log's ids are not this process's: it shows none until mirror() brings them.
  visible_through_ = dropped_through_ = trimmed_in_store_ = 0;
}

void EventLog::mirror(std::span<const EventRecord> records, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  for (const EventRecord& record : records) {
    if (record.id <= visible_through_) continue;  // held already
    // The shared log gives ids one after another: a jump means events trimmed there before this
    // node read them (it was cut off longer than the retention), which no reader here will see.
    if (visible_through_ != 0 && record.id > visible_through_ + 1)
      KITE_LOG(warn, "events.mirror_gap",
               {{"first", visible_through_ + 1}, {"last", record.id - 1}});
    // Nothing held: the shared log starts here (its older events were trimmed, or this is the
    // first), so a reader asking for an earlier id is told of a gap.
    if (events_.empty()) dropped_through_ = std::max(dropped_through_, record.id - 1);
    visible_through_ = record.id;
    // A later version's type or form: not ours to show.
    if (record.type >= kEventTypes || !well_formed_fields(record.data)) continue;
    hold(record.id, {record.id, record.time_ms, static_cast<EventType>(record.type), record.device,
                     record.data});
  }
  trim(now_ms);
  if (listener_) listener_();
}

const char* EventLog::copy_in(std::string_view device, std::string_view data) {
  const std::size_t size = device.size() + data.size();
  if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < size) {
    Chunk chunk;
    chunk.capacity = std::max(kChunkBytes, size);
    chunk.memory = std::make_unique_for_overwrite<char[]>(chunk.capacity);
    chunks_.push_back(std::move(chunk));
  }
  Chunk& chunk = chunks_.back();
  char* at = chunk.memory.get() + chunk.used;
  if (!device.empty()) std::memcpy(at, device.data(), device.size());
  if (!data.empty()) std::memcpy(at + device.size(), data.data(), data.size());
  chunk.used += size;
  ++chunk.entries;
  return at;
}

void EventLog::hold(std::uint64_t id, const EventView& event) {
  // A whole object (a cluster's shared log, an older kited's store) is held as its own fields.
  const std::string_view data = own_fields(event, scratch_);
  Entry entry{id,
              event.time_ms,
              copy_in(event.device, data),
              static_cast<std::uint32_t>(data.size()),
              static_cast<std::uint16_t>(event.device.size()),
              event.type};
  bytes_ += cost(entry);
  events_.push_back(entry);
}

void EventLog::reserve(const EventBatch& batch, Reserved& out) {
  out.records.clear();
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  if (shared_) {  // the shared log gives the ids; nothing is held here until it comes back
    for (const auto& header : batch.headers()) {
      const EventView event = batch.view(header);
      out.records.push_back(
          {0, event.time_ms, static_cast<std::uint8_t>(event.type), event.device, event.data});
    }
    recorded_ += batch.size();
    return;
  }
  for (const auto& header : batch.headers()) {
    const EventView event = batch.view(header);
    hold(next_id_, event);
    out.records.push_back(
        {next_id_, event.time_ms, static_cast<std::uint8_t>(event.type), event.device, event.data});
    ++next_id_;
  }
  recorded_ += batch.size();
  out.last_id = next_id_ - 1;
  pending_.push_back({out.last_id, false});
}

void EventLog::publish(const Reserved& reserved, std::int64_t now_ms) {
  if (reserved.empty() && reserved.last_id == 0) return;  // nothing was reserved
  if (shared_) return shared_->append(reserved.records);  // shown once mirrored back
  std::lock_guard lock(mutex_);
  for (Pending& pending : pending_) {
    if (pending.last_id == reserved.last_id) pending.done = true;
  }
  while (!pending_.empty() && pending_.front().done) {
    visible_through_ = pending_.front().last_id;
    pending_.pop_front();
  }
  trim(now_ms);
  if (listener_) listener_();  // under the lock: once set_listener(nullptr) returns, never again
}

void EventLog::append(EventBatch& batch, std::int64_t now_ms) {
  if (batch.empty()) return;
  Reserved reserved;
  reserve(batch, reserved);
  if (store_) store_->write_turn({}, {}, reserved.records);  // a failure is logged and counted
  publish(reserved, now_ms);
  batch.clear();
}

// Events still being written (above visible_through_) are never dropped: retention waits for them.
void EventLog::trim(std::int64_t now_ms) {
  while (!events_.empty() && events_.front().id <= visible_through_ &&
         (events_.size() > limits_.max_events || bytes_ > limits_.max_bytes ||
          now_ms - events_.front().time_ms > limits_.max_age_ms)) {
    bytes_ -= cost(events_.front());
    dropped_through_ = events_.front().id;
    events_.pop_front();
    ++dropped_;
    // Events leave in the order they came, so the oldest event is always in the oldest chunk.
    Chunk& oldest = chunks_.front();
    if (--oldest.entries != 0) continue;
    if (chunks_.size() > 1)
      chunks_.pop_front();
    else
      oldest.used = 0;  // the only chunk, now empty: reuse it
  }
}

void EventLog::expire(std::int64_t now_ms) {
  std::uint64_t through = 0;
  {
    std::lock_guard lock(mutex_);
    trim(now_ms);
    if (dropped_through_ <= trimmed_in_store_) return;
    through = trimmed_in_store_ = dropped_through_;
  }
  // Outside the lock: store I/O stalls no appender.
  if (store_)
    store_->trim_events(through);
  else if (shared_)
    shared_->trim(through);
}

EventView EventLog::view(const Entry& entry) const {
  return {entry.id, entry.time_ms, entry.type, std::string_view(entry.bytes, entry.device_size),
          std::string_view(entry.bytes + entry.device_size, entry.data_size)};
}

std::size_t EventLog::first_after(std::uint64_t id) const {
  const auto it = std::upper_bound(events_.begin(), events_.end(), id,
                                   [](std::uint64_t v, const Entry& e) { return v < e.id; });
  return static_cast<std::size_t>(it - events_.begin());
}

ReadResult EventLog::read(std::uint64_t after, const Match& match, std::size_t max_events,
                          std::size_t max_bytes, std::size_t max_scan,
                          std::vector<Event>& out) const {
  std::lock_guard lock(mutex_);
  ReadResult result;
  if (awaiting_locked(after)) return {after};  // not mirrored here yet: nothing to give now
  if (after != 0 && (after < dropped_through_ || after > visible_through_)) {
    // Dropped by retention, or an id this log never gave (another server, or a store that was
    // replaced): say so, and deliver everything held rather than guess.
    result.gap = true;
    result.missed_first = after > visible_through_ ? 0 : after + 1;
    result.missed_last = dropped_through_;
    after = 0;
  }
  std::size_t index = after == 0 ? 0 : first_after(after);
  // Where a reader that finds nothing stands: just before the oldest event held, or at the end.
  std::uint64_t cursor = index < events_.size() ? events_[index].id - 1 : visible_through_;
  if (after != 0) cursor = after;
  std::size_t bytes = 0, taken = 0;
  const std::size_t end = std::min(events_.size(), index + max_scan);
  for (; index < end && taken < max_events && bytes < max_bytes; ++index) {
    if (events_[index].id > visible_through_) break;  // still being written
    const EventView event = view(events_[index]);
    cursor = event.id;
    if (!match || match(event)) {
      out.push_back({event.id, event.time_ms, event.type, std::string(event.device),
                     std::string(event.data)});
      bytes += kCommonFieldsBytes + event.device.size() + event.data.size();
      ++taken;
    }
  }
  result.next_after = cursor;
  return result;
}

EventLog::Count EventLog::count(std::uint64_t after, const Match& match,
                                std::size_t max_scan) const {
  std::lock_guard lock(mutex_);
  Count result;
  std::size_t index = first_after(after), scanned = 0;
  for (; index < events_.size() && events_[index].id <= visible_through_; ++index) {
    if (scanned++ == max_scan) {
      result.capped = true;
      break;
    }
    const EventView event = view(events_[index]);
    if (match && !match(event)) continue;
    if (result.events++ == 0) {
      result.first_id = event.id;
      result.first_time_ms = event.time_ms;
    }
  }
  return result;
}

bool EventLog::awaiting(std::uint64_t after) const {
  std::lock_guard lock(mutex_);
  return awaiting_locked(after);
}

bool EventLog::awaiting_locked(std::uint64_t after) const {
  return shared_ && after > visible_through_ && visible_through_ != 0 &&
         after - visible_through_ <= kAheadTolerance;
}

std::uint64_t EventLog::last_id() const {
  std::lock_guard lock(mutex_);
  return visible_through_;
}

EventLog::Stats EventLog::stats() const {
  std::lock_guard lock(mutex_);
  return {visible_through_, recorded_, dropped_, events_.size(), bytes_};
}

}  // namespace kite::server::events
