#include "kite/capture/time_order.h"

#include <algorithm>

namespace kite::capture {
namespace {

// What an event costs while it waits: its bytes and its bookkeeping.
std::size_t held_size(const Event& e) {
  return sizeof(Event) + e.frame.size() + e.text.size() + e.peer.size();
}

}  // namespace

void TimeOrder::push(Event event) {
  std::int64_t sort_ns = event.time_ns;
  if (event.connection) {
    auto [clock, added] = connection_clock_.try_emplace(*event.connection, sort_ns);
    if (!added) sort_ns = clock->second = std::max(clock->second, sort_ns);
    if (event.kind == EventKind::Closed) connection_clock_.erase(clock);
  }
  newest_ns_ = std::max(newest_ns_, sort_ns);
  held_bytes_ += held_size(event);
  heap_.push_back({sort_ns, arrivals_++, std::move(event)});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool TimeOrder::pop(Event& event, bool flush) {
  if (heap_.empty()) return false;
  const bool ready =
      flush || held_bytes_ > max_held_bytes_ || newest_ns_ - heap_.front().sort_ns >= window_ns_;
  if (!ready) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  event = std::move(heap_.back().event);
  heap_.pop_back();
  held_bytes_ -= held_size(event);
  return true;
}

}  // namespace kite::capture
