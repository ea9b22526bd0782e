// Keep-alive deadlines of one connection. The client pings when it has sent nothing for one
// interval; either side gives up on a peer it has heard nothing from for `factor` intervals
// (150 % by default). Pure arithmetic on the `now` the caller passes: no timers, no clock.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kite/protocol/receive_window.h"

namespace kite::protocol {

class Keepalive {
 public:
  void start(Millis now, Millis interval, std::uint32_t factor_percent, bool sends_pings) {
    interval_ = std::max<Millis>(interval, 1);
    timeout_ = std::max<Millis>(interval_ * factor_percent / 100, 1);
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
  Millis interval_ = 30'000;
  Millis timeout_ = 45'000;
  bool sends_pings_ = false;
  Millis last_in_ = 0;
  Millis last_out_ = 0;
};

}  // namespace kite::protocol
