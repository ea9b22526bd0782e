// How a session reads what a peer announced in its hello or welcome. 0 means "unspecified" and is
// read the same way in both directions; a session never announces 0 itself.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kite/protocol/frame_header.h"
#include "kite/protocol/limits.h"

namespace kite::protocol {

inline std::uint32_t announced_credit(std::uint32_t credit) {
  return credit == 0 ? limits::kDefaultCredit : std::min(credit, limits::kMaxCredit);
}

inline std::uint32_t announced_max_frame(std::uint32_t max_frame) {
  if (max_frame == 0) return kDefaultMaxBody;
  return std::clamp(max_frame, limits::kHandshakeMaxBody, kAbsoluteMaxBody);
}

}  // namespace kite::protocol
