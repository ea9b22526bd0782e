#include "core/uplink_bucket.h"

#include <algorithm>

namespace kite::server {

UplinkBucket::UplinkBucket(std::uint32_t rate_per_s, std::uint32_t burst, Millis now)
    : rate_per_s_(rate_per_s), burst_(burst), tokens_(burst), refilled_at_(now) {}

void UplinkBucket::charge(double tokens, Millis now) {
  if (rate_per_s_ == 0) return;
  const double refill = static_cast<double>(now - refilled_at_) * rate_per_s_ / 1000.0;
  tokens_ = std::min(tokens_ + refill, static_cast<double>(burst_));
  refilled_at_ = now;
  tokens_ -= tokens;
}

Millis UplinkBucket::paid_at(Millis now) const {
  const double wait_ms = (1 - tokens_) * 1000.0 / std::max(1u, rate_per_s_);
  return now + static_cast<Millis>(wait_ms) + 1;
}

}  // namespace kite::server
