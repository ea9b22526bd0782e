#include "events/reconnect_backoff.h"

#include <algorithm>

namespace kite::cli {

std::uint64_t ReconnectBackoff::next_ms() {
  const std::uint64_t ceiling = std::min(kLongestMs, kFirstMs << std::min(failures_, 6u));
  ++failures_;
  return std::uniform_int_distribution<std::uint64_t>(ceiling / 2, ceiling)(random_);
}

}  // namespace kite::cli
