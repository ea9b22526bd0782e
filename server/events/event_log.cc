#include "events/event_log.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace kite::server::events {

EventLog::EventLog(RetentionLimits limits, std::uint64_t first_id)
    : limits_(limits), first_id_(first_id), next_id_(first_id) {}

void EventLog::set_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

const char* EventLog::store(std::string_view device, std::string_view data) {
  const std::size_t size = device.size() + data.size();
  if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < size) {
    Chunk chunk;
    chunk.capacity = std::max(kChunkBytes, size);
    chunk.memory = std::make_unique_for_overwrite<char[]>(chunk.capacity);
    chunks_.push_back(std::move(chunk));
  }
  Chunk& chunk = chunks_.back();
  char* at = chunk.memory.get() + chunk.used;
  std::memcpy(at, device.data(), device.size());
  std::memcpy(at + device.size(), data.data(), data.size());
  chunk.used += size;
  ++chunk.entries;
  return at;
}

void EventLog::append(EventBatch& batch, std::int64_t now_ms) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const auto& header : batch.headers()) {
      const EventView event = batch.view(header);
      Entry entry{event.time_ms, store(event.device, event.data),
                  static_cast<std::uint32_t>(event.device.size()),
                  static_cast<std::uint32_t>(event.data.size()), event.type};
      bytes_ += cost(entry);
      events_.push_back(entry);
      ++next_id_;
    }
    trim(now_ms);
    if (listener_) listener_();  // under the lock: once set_listener(nullptr) returns, never again
  }
  batch.clear();
}

void EventLog::trim(std::int64_t now_ms) {
  while (!events_.empty() && (events_.size() > limits_.max_events || bytes_ > limits_.max_bytes ||
                              now_ms - events_.front().time_ms > limits_.max_age_ms)) {
    bytes_ -= cost(events_.front());
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
  std::lock_guard lock(mutex_);
  trim(now_ms);
}

EventView EventLog::view(std::size_t index) const {
  const Entry& entry = events_[index];
  return {next_id_ - events_.size() + index, entry.time_ms, entry.type,
          std::string_view(entry.bytes, entry.device_size),
          std::string_view(entry.bytes + entry.device_size, entry.data_size)};
}

ReadResult EventLog::read(std::uint64_t after, const Match& match, std::size_t max_events,
                          std::size_t max_bytes, std::size_t max_scan,
                          std::vector<Event>& out) const {
  std::lock_guard lock(mutex_);
  const std::uint64_t oldest = next_id_ - events_.size();
  ReadResult result;
  if (after == 0) {
    after = oldest - 1;
  } else if (after + 1 < oldest || after >= next_id_) {
    // Dropped by retention, or an id this log never gave (another server, or one before a
    // restart): say so, and deliver everything held rather than guess.
    result.gap = true;
    result.missed_first = after >= next_id_ ? 0 : after + 1;
    result.missed_last = oldest - 1;
    after = oldest - 1;
  }
  std::size_t index = after + 1 - oldest, bytes = 0, taken = 0;
  const std::size_t end = std::min(events_.size(), index + max_scan);
  for (; index < end && taken < max_events && bytes < max_bytes; ++index) {
    const EventView event = view(index);
    if (!match || match(event)) {
      out.push_back({event.id, event.time_ms, event.type, std::string(event.device),
                     std::string(event.data)});
      bytes += event.data.size();
      ++taken;
    }
  }
  result.next_after = oldest + index - 1;
  return result;
}

std::uint64_t EventLog::last_id() const {
  std::lock_guard lock(mutex_);
  return next_id_ - 1;
}

EventLog::Stats EventLog::stats() const {
  std::lock_guard lock(mutex_);
  return {next_id_ - 1, dropped_, events_.size(), bytes_};
}

}  // namespace kite::server::events
