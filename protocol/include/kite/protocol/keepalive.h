// Keep-alive deadlines of one connection. The client pings when it has sent nothing for one
// interval; either side gives up on a peer it has heard nothing from for `factor` intervals
// (150 % by default). Pure arithmetic on the `now` the caller passes: no timers, no clock.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "kite/protocol/receive_window.h"

namespace kite::protocol {

class Keepalive {
 public:
  void start(Millis now, Millis interval, std::uint32_t factor_percent, bool sends_pings) {
    interval_ = clamp_ms(interval);
    timeout_ = clamp_ms(static_cast<Millis>(interval_) * factor_percent / 100);
    sends_pings_ = sends_pings;
    last_in_ = last_out_ = now;
  }
  void received(Millis now) { last_in_ = std::max(last_in_, now); }
  void sent(Millis now) { last_out_ = std::max(last_out_, now); }

  Millis interval() const { return interval_; }
  Millis expiry() const { return last_in_ + timeout_; }
  bool expired(Millis now) const { return now >= expiry(); }
  bool ping_due(Millis now) const { return sends_pings_ && now >= last_out_ + interval_; }
  Millis deadline() const {
    return sends_pings_ ? std::min(expiry(), last_out_ + interval_) : expiry();
  }

 private:
  // 1 ms to 49 days, in 32 bits: every session carries a Keepalive.
  static std::uint32_t clamp_ms(Millis ms) {
    return static_cast<std::uint32_t>(
        std::clamp<Millis>(ms, 1, std::numeric_limits<std::uint32_t>::max()));
  }

  std::uint32_t interval_ = 30'000;
  std::uint32_t timeout_ = 45'000;
  Millis last_in_ = 0;
  Millis last_out_ = 0;
  bool sends_pings_ = false;
};

}  // namespace kite::protocol
