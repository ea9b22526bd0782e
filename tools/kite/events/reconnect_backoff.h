// How long `kite events` waits before it reconnects a dropped stream or retries a failed poll:
// doubling from 250 ms up to 8 s, each wait drawn between half and all of that (jitter, so that
// readers cut off together by a kited restart do not all come back in the same instant).
#pragma once

#include <cstdint>
#include <random>

namespace kite::cli {

class ReconnectBackoff {
 public:
  ReconnectBackoff() : random_(std::random_device{}()) {}

  // The next wait in ms; each call without a reset() in between waits longer.
  std::uint64_t next_ms();
  // A connection worked: the next failure starts from the shortest wait again.
  void reset() { failures_ = 0; }

 private:
  static constexpr std::uint64_t kFirstMs = 250, kLongestMs = 8'000;
  unsigned failures_ = 0;
  std::mt19937_64 random_;
};

}  // namespace kite::cli
