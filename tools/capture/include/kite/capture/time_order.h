// Puts events back in time order when an input is not quite: a Kite recording writes a
// connection's first events only once its hello named a chosen device, so they can be older
// than events written before them (docs/recording.md). Events wait here for a window of
// capture time before they go out, earliest first.
//
// Rules it keeps:
//  - one connection's events never change order among themselves, even if the clock that
//    stamped them stepped back: an event is sorted as no earlier than its connection's
//    previous one;
//  - equal times keep the order the events arrived in;
//  - memory is bounded: past max_held_bytes, the earliest event goes out at once, in order as
//    far as the window allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "kite/capture/event.h"

namespace kite::capture {

inline constexpr std::int64_t kDefaultReorderWindowNs = 10'000'000'000;  // kited's handshake limit
inline constexpr std::size_t kDefaultMaxHeldBytes = 64u << 20;

class TimeOrder {
 public:
  explicit TimeOrder(std::int64_t window_ns = kDefaultReorderWindowNs,
                     std::size_t max_held_bytes = kDefaultMaxHeldBytes)
      : window_ns_(window_ns), max_held_bytes_(max_held_bytes) {}

  void push(Event event);
  // The earliest event, once nothing earlier can come any more: it is older than the newest by
  // the window, memory is short, or `flush` (every input is done). False when none is ready.
  bool pop(Event& event, bool flush);
  bool empty() const { return heap_.empty(); }

 private:
  struct Held {
    std::int64_t sort_ns;
    std::uint64_t arrival;
    Event event;
  };
  static bool later(const Held& a, const Held& b) {
    return a.sort_ns != b.sort_ns ? a.sort_ns > b.sort_ns : a.arrival > b.arrival;
  }

  std::int64_t window_ns_;
  std::size_t max_held_bytes_;
  std::vector<Held> heap_;                                  // a min-heap by (sort_ns, arrival)
  std::map<ConnectionKey, std::int64_t> connection_clock_;  // latest sort_ns per open connection
  std::int64_t newest_ns_ = INT64_MIN;
  std::uint64_t arrivals_ = 0;
  std::size_t held_bytes_ = 0;
};

}  // namespace kite::capture
