#include "events/event_log.h"

#include <utility>

namespace kite::server::events {

EventLog::EventLog(RetentionLimits limits, std::uint64_t first_id)
    : limits_(limits), first_id_(first_id), next_id_(first_id) {}

void EventLog::set_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void EventLog::append(std::vector<Event>& batch, std::int64_t now_ms) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (Event& event : batch) {
      event.id = next_id_++;
      bytes_ += event.cost();
      events_.push_back(std::move(event));
    }
    trim(now_ms);
    if (listener_) listener_();  // under the lock: once set_listener(nullptr) returns, never again
  }
  batch.clear();
}

void EventLog::trim(std::int64_t now_ms) {
  while (!events_.empty() && (events_.size() > limits_.max_events || bytes_ > limits_.max_bytes ||
                              now_ms - events_.front().time_ms > limits_.max_age_ms)) {
    bytes_ -= events_.front().cost();
    events_.pop_front();
    ++dropped_;
  }
}

void EventLog::expire(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  trim(now_ms);
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
    const Event& event = events_[index];
    if (!match || match(event)) {
      out.push_back(event);
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
