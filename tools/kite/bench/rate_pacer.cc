#include "bench/rate_pacer.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "bench/common.h"

namespace kite::bench {

void pace_at_rate(ClientLoop& loop, double rate, double& tokens, std::function<bool()> refilling,
                  std::function<void()> spend) {
  if (rate <= 0) return;
  // The timer's state lives in the callback: the loop keeps it as long as it runs.
  loop.every(1, [rate, &tokens, refilling = std::move(refilling), spend = std::move(spend),
                 refilled_at = steady_ns()]() mutable {
    const std::int64_t now = steady_ns();
    const double elapsed_s = static_cast<double>(now - refilled_at) / 1e9;
    refilled_at = now;
    if (!refilling()) return;
    tokens = std::min(tokens + rate * elapsed_s, std::max(1.0, rate / 100.0));
    spend();
  });
}

}  // namespace kite::bench
