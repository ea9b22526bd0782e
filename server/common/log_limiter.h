// A cap on how often one kind of log line is written, for lines that a peer can cause at will
// (refused connections, rejected tokens): a flood of them must not become a flood of disk
// writes. Up to `burst` lines pass at once, then one per `interval_ms`; the first line that
// passes after a quiet spell reports how many were held back meanwhile, so nothing is hidden.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

namespace kite::server::log {

class Limiter {
 public:
  Limiter(std::uint32_t burst, std::int64_t interval_ms);

  // nullopt: drop this line. Otherwise write it, with the number of lines dropped before it.
  std::optional<std::uint64_t> admit(std::int64_t now_ms);
  // The same, on the steady clock.
  std::optional<std::uint64_t> admit();

 private:
  std::mutex mutex_;
  const std::uint32_t burst_;
  const std::int64_t interval_ms_;
  double tokens_;
  std::int64_t refilled_at_ms_ = 0;
  bool started_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace kite::server::log
