#include "webhooks/backoff.h"

#include <algorithm>

namespace kite::server::webhooks {

std::uint64_t backoff_cap_ms(std::uint32_t attempt, std::uint64_t base_ms, std::uint64_t max_ms) {
  // Past 2^40 times the base every cap is max_ms anyway; the shift must not overflow.
  const std::uint32_t doublings = std::min<std::uint32_t>(attempt == 0 ? 0 : attempt - 1, 40);
  const std::uint64_t cap = base_ms > (max_ms >> doublings) ? max_ms : base_ms << doublings;
  return std::min(cap, max_ms);
}

std::uint64_t backoff_ms(std::uint32_t attempt, std::uint64_t base_ms, std::uint64_t max_ms,
                         std::mt19937_64& random) {
  return std::uniform_int_distribution<std::uint64_t>(
      0, backoff_cap_ms(attempt, base_ms, max_ms))(random);
}

}  // namespace kite::server::webhooks
