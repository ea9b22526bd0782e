// -W: how long a command that waits (kite events, kite publish) may run, counted from its start
// on the monotonic clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace kite::cli {

class Deadline {
 public:
  // `timeout_ms` 0: none, it never passes.
  explicit Deadline(std::uint64_t timeout_ms)
      : timeout_ms_(timeout_ms), at_(Clock::now() + std::chrono::milliseconds(timeout_ms)) {}

  std::uint64_t timeout_ms() const { return timeout_ms_; }
  bool passed() const { return timeout_ms_ > 0 && Clock::now() >= at_; }

  // `longest`, or less when the deadline comes first (never below 0).
  std::uint64_t cap_ms(std::uint64_t longest) const {
    if (timeout_ms_ == 0) return longest;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now()).count();
    return std::min<std::uint64_t>(longest, left > 0 ? static_cast<std::uint64_t>(left) : 0);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::uint64_t timeout_ms_;
  Clock::time_point at_;
};

// "30 s" or "1500 ms", as -W was given, for the line that says kite gave up.
inline std::string waited_text(std::uint64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace kite::cli
