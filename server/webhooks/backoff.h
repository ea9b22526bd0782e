// The wait before a webhook retries a failed batch: exponential back-off with full jitter
// (a uniform draw from 0 to the cap), so many kiteds whose receiver came back do not all
// retry in the same instant, and a receiver that is down is asked less and less often.
//
//   cap(attempt) = min(max_ms, base_ms * 2^(attempt - 1))   attempt = 1 after the first failure
//   wait         = uniform [0, cap]
#pragma once

#include <cstdint>
#include <random>

namespace kite::server::webhooks {

std::uint64_t backoff_cap_ms(std::uint32_t attempt, std::uint64_t base_ms, std::uint64_t max_ms);

std::uint64_t backoff_ms(std::uint32_t attempt, std::uint64_t base_ms, std::uint64_t max_ms,
                         std::mt19937_64& random);

}  // namespace kite::server::webhooks
