// A hashed timing wheel: deadlines for many connections at O(1) per schedule and cancel, and a
// tick that touches only the slots that came due. One per worker loop, not thread-safe.
//
//   slot = (deadline / tick) % slots         entries are intrusive: a connection embeds a
//   [0][1][2] ... [slots-1]                   WheelEntry, so scheduling never allocates
//      |
//      e <-> e <-> e     (doubly linked: cancel unlinks in O(1))
//
// A deadline further than one turn of the wheel lands in its slot anyway; when that slot comes
// round early the entry is simply put back (its deadline is checked, not assumed).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace kite::server {

using Millis = std::int64_t;

struct WheelEntry {
  WheelEntry* prev = nullptr;
  WheelEntry* next = nullptr;
  Millis deadline = 0;
  bool scheduled() const { return prev != nullptr; }
};

class TimingWheel {
 public:
  TimingWheel(Millis tick_ms, std::size_t slots, Millis now);
  ~TimingWheel();
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  Millis tick_ms() const { return tick_ms_; }

  // (Re)schedules `entry` for `deadline`; a deadline in the past fires on the next advance.
  void schedule(WheelEntry& entry, Millis deadline);
  void cancel(WheelEntry& entry);

  // Fires every entry whose deadline is <= now, in no particular order. An entry is unlinked
  // before its callback runs, so the callback may schedule it again or destroy it.
  void advance(Millis now, const std::function<void(WheelEntry&)>& fire);

  std::size_t size() const { return size_; }

 private:
  std::size_t slot_of(Millis deadline) const;
  void link(WheelEntry& entry, std::size_t slot);

  Millis tick_ms_;
  std::vector<WheelEntry> heads_;  // sentinel of each slot's circular list
  Millis current_;                 // start of the next slot to process
  std::size_t size_ = 0;
  std::vector<WheelEntry*> due_;  // reused by advance(): no allocation per tick
};

}  // namespace kite::server
