// Reconnect delays: capped exponential back-off with full jitter applied after the cap (the
// "Exponential Backoff And Jitter" scheme): attempt n waits uniform(0, min(max, initial * 2^n)).
// A fleet that lost its server together spreads its reconnects over the whole window instead of
// arriving in waves. Pure arithmetic and a seeded generator: no clock, testable on its own.
#pragma once

#include <cstdint>

namespace kite::sdk {

class Backoff {
 public:
  Backoff(std::uint32_t initial_ms, std::uint32_t max_ms, std::uint64_t seed);

  // The delay before the next attempt, never below the server's `hint_ms` (reconnect-after).
  std::uint32_t next(std::uint32_t hint_ms = 0);
  // uniform(0, window): a delay of its own, outside the attempts' doubling.
  std::uint32_t spread(std::uint32_t window_ms);
  // The window the next call draws from: min(max, initial * 2^attempts).
  std::uint32_t ceiling() const;
  // After a stable connection: the next delay is drawn from the first window again.
  void reset() { attempts_ = 0; }
  std::uint32_t attempts() const { return attempts_; }

 private:
  std::uint64_t random();

  std::uint32_t initial_ms_;
  std::uint32_t max_ms_;
  std::uint32_t attempts_ = 0;
  std::uint64_t state_;
};

}  // namespace kite::sdk
