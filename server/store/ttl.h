// Message lifetimes: the store keeps TTLs and expiry times as 64-bit milliseconds (a year is
// 3.15e10 ms, far above 2^32), while the wire's `ttl_ms` is a u32 (about 49.7 days).
//
// Rules:
// - expires_at = now + ttl, 0 meaning "never"; the sum saturates instead of wrapping.
// - The ttl sent to a device is what remains of the stored lifetime, at least 1 ms (0 would read
//   "never expires" on the wire) and at most UINT32_MAX: a longer remainder is told as the
//   longest the wire can say, never as a wrapped small number.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace kite::server {

constexpr std::uint64_t expires_at_ms(std::uint64_t now_ms, std::uint64_t ttl_ms) {
  if (ttl_ms == 0) return 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  return ttl_ms > kMax - now_ms ? kMax : now_ms + ttl_ms;
}

constexpr std::uint32_t remaining_ttl_ms(std::uint64_t expires_at, std::uint64_t now_ms) {
  const std::uint64_t left = expires_at - std::min(expires_at, now_ms);
  constexpr std::uint64_t kWireMax = std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(left, 1, kWireMax));
}

}  // namespace kite::server
