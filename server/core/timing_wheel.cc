#include "core/timing_wheel.h"

#include <algorithm>

namespace kite::server {

TimingWheel::TimingWheel(Millis tick_ms, std::size_t slots, Millis now)
    : tick_ms_(std::max<Millis>(tick_ms, 1)), heads_(std::max<std::size_t>(slots, 2)) {
  for (auto& head : heads_) head.prev = head.next = &head;
  current_ = now - now % tick_ms_;
}

TimingWheel::~TimingWheel() {
  for (auto& head : heads_)
    while (head.next != &head) cancel(*head.next);
}

std::size_t TimingWheel::slot_of(Millis deadline) const {
  Millis at = std::max(deadline, current_);
  return static_cast<std::size_t>(at / tick_ms_) % heads_.size();
}

void TimingWheel::link(WheelEntry& entry, std::size_t slot) {
  WheelEntry& head = heads_[slot];
  entry.prev = head.prev;
  entry.next = &head;
  head.prev->next = &entry;
  head.prev = &entry;
  ++size_;
}

void TimingWheel::schedule(WheelEntry& entry, Millis deadline) {
  if (entry.scheduled()) cancel(entry);
  entry.deadline = deadline;
  link(entry, slot_of(deadline));
}

void TimingWheel::cancel(WheelEntry& entry) {
  if (!entry.scheduled()) return;
  entry.prev->next = entry.next;
  entry.next->prev = entry.prev;
  entry.prev = entry.next = nullptr;
  --size_;
}

void TimingWheel::advance(Millis now, const std::function<void(WheelEntry&)>& fire) {
  // A slot is processed once it has fully elapsed: a deadline later in the slot that holds `now`
  // must not be passed over for a whole turn. Entries fire at most one tick late.
  // At most one full turn: after that every slot has been visited once.
  Millis turns_end = current_ + tick_ms_ * static_cast<Millis>(heads_.size());
  Millis until = std::min(now, turns_end);
  std::vector<WheelEntry*>& due = due_;
  due.clear();
  while (current_ + tick_ms_ - 1 <= until) {
    WheelEntry& head = heads_[static_cast<std::size_t>(current_ / tick_ms_) % heads_.size()];
    for (WheelEntry* e = head.next; e != &head;) {
      WheelEntry* next = e->next;
      if (e->deadline <= now) {
        cancel(*e);
        due.push_back(e);
      }
      e = next;
    }
    current_ += tick_ms_;
  }
  if (now > until) current_ = now - now % tick_ms_;  // skipped a whole turn: resume at now
  for (WheelEntry* e : due) fire(*e);
}

}  // namespace kite::server
