#include "backoff.h"

#include <algorithm>

namespace kite::sdk {

Backoff::Backoff(std::uint32_t initial_ms, std::uint32_t max_ms, std::uint64_t seed)
    : initial_ms_(std::max<std::uint32_t>(initial_ms, 1)),
      max_ms_(std::max(max_ms, initial_ms_)),
      state_(seed) {}

std::uint32_t Backoff::ceiling() const {
  // Doubling stops at the cap, so the shift never overflows however many attempts failed.
  std::uint64_t window = initial_ms_;
  for (std::uint32_t i = 0; i < attempts_ && window < max_ms_; ++i) window *= 2;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(window, max_ms_));
}

std::uint32_t Backoff::next(std::uint32_t hint_ms) {
  std::uint64_t window = ceiling();
  ++attempts_;
  auto delay = static_cast<std::uint32_t>(random() % (window + 1));
  return std::max(delay, hint_ms);
}

std::uint32_t Backoff::spread(std::uint32_t window_ms) {
  return static_cast<std::uint32_t>(random() % (std::uint64_t{window_ms} + 1));
}

// splitmix64: small, fast and well spread; jitter needs no cryptographic quality.
std::uint64_t Backoff::random() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace kite::sdk
