// Log line limits; see log_limiter.h.
#include "common/log_limiter.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace kite::server::log {

Limiter::Limiter(std::uint32_t burst, std::int64_t interval_ms)
    : burst_(std::max<std::uint32_t>(burst, 1)),
      interval_ms_(std::max<std::int64_t>(interval_ms, 1)),
      tokens_(burst_) {}

std::optional<std::uint64_t> Limiter::admit(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (!started_) {
    started_ = true;
    refilled_at_ms_ = now_ms;
  }
  if (now_ms > refilled_at_ms_) {
    double earned =
        static_cast<double>(now_ms - refilled_at_ms_) / static_cast<double>(interval_ms_);
    tokens_ = std::min<double>(burst_, tokens_ + earned);
    refilled_at_ms_ = now_ms;
  }
  if (tokens_ < 1) {
    ++suppressed_;
    return std::nullopt;
  }
  tokens_ -= 1;
  return std::exchange(suppressed_, 0);
}

std::optional<std::uint64_t> Limiter::admit() {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return admit(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace kite::server::log
