// How far into a verified frame body its data reaches: the end of the last byte any table, vtable,
// string or vector of the frame refers to.
//
// Why: the FlatBuffers Verifier accepts bytes after the data (it checks only what is referenced),
// so a compressed body can be a tiny valid frame followed by hundreds of KiB of zeros, which cost
// the receiver the inflation and nothing the sender. A builder leaves at most a few bytes of
// alignment padding after its data; BodyDecoder refuses a body whose unreferenced tail is both
// over kMaxSlack and larger than the data itself (InvalidBody).
//
// Rules it keeps: called only on a body the Verifier accepted (every offset is inside the body);
// reads each referenced object once; knows the schema's fields (kite.fbs), so a field added there
// must be added here, or its bytes count as tail (the unit tests build every message type).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kite/wire/kite_generated.h"

namespace kite::protocol::detail {

inline constexpr std::size_t kMaxSlack = 1024;

// The extent of `frame`, whose buffer starts at `base`.
std::size_t body_extent(const wire::Frame& frame, const std::uint8_t* base);

// Whether a verified body of `size` bytes with that extent has an acceptable tail.
inline bool tail_acceptable(std::size_t extent, std::size_t size) {
  const std::size_t tail = size > extent ? size - extent : 0;
  return tail <= kMaxSlack || tail <= extent;
}

}  // namespace kite::protocol::detail
