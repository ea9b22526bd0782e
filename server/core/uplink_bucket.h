// A device's uplink rate limit (session.uplink_rate_per_s, uplink_burst): a token bucket that may
// go into debt. What each frame costs is uplink_cost.h's; when to stop and start reading is the
// connection's (Connection::after_session_call).
//
//   tokens:  burst ─────────────── full: the refill stops here
//                 ▲ refill: rate_per_s a second (loop time), added before every charge
//            0 ── ┼ ──────────────── below: in debt, the socket is not read
//                 ▼ a read's frames are all charged, however deep that goes
//            paid_at(): the time the refill brings one whole token back
//
// Rules it keeps:
//  - it starts full when the session opens (the connection makes a new one then);
//  - a read may hold many frames: they are all processed (the bytes are already here) and the
//    bucket goes into debt, so that over the limit TCP back-pressure slows the device, not kited;
//  - rate 0 means no limit: charges cost nothing and the bucket is never in debt;
//  - pure arithmetic on the loop time it is given: unit-tested without a socket.
#pragma once

#include <cstdint>

#include "core/timing_wheel.h"

namespace kite::server {

class UplinkBucket {
 public:
  UplinkBucket() = default;  // unlimited until the session opens
  UplinkBucket(std::uint32_t rate_per_s, std::uint32_t burst, Millis now);

  // Refills for the time since the last charge, then takes `tokens` (0: the refill only).
  void charge(double tokens, Millis now);
  bool in_debt() const { return tokens_ < 0; }
  // When reading may resume: the debt paid and one token back (1 ms late rather than early).
  Millis paid_at(Millis now) const;
  double tokens() const { return tokens_; }

 private:
  std::uint32_t rate_per_s_ = 0;
  std::uint32_t burst_ = 0;  // beside rate_per_s_: one word for both
  double tokens_ = 0;
  Millis refilled_at_ = 0;
};

}  // namespace kite::server
