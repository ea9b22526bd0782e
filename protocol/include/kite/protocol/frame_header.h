// The fixed 8-byte header in front of every frame body, and the limits that go with it.
//
//   0        4        6        8                 8 + length      8 + padded(length)
//   +--------+--------+--------+-----------------+---------------+
//   | length | flags  | dict id|      body       | zero padding  |
//   | u32 LE | u16 LE | u16 LE | `length` bytes  | to 8 bytes    |
//   +--------+--------+--------+-----------------+---------------+
//
// The body is padded so that every header, and so every body, starts 8-byte aligned in the
// stream: FlatBuffers fields are read in place, with no copy, when the read buffer is aligned.
// Decoding the header is pure arithmetic and never fails for lack of memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kite/protocol/reason.h"

namespace kite::protocol {

inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kFrameAlignment = 8;

// The largest body any peer may ever announce; the negotiated maximum is at most this.
inline constexpr std::uint32_t kAbsoluteMaxBody = 16u << 20;
// The maximum a standalone decoder starts with, and what a peer that announces max_frame = 0
// is taken to accept. (A session uses limits::kHandshakeMaxBody until its handshake is done.)
inline constexpr std::uint32_t kDefaultMaxBody = 64u << 10;

namespace flags {
inline constexpr std::uint16_t kCompressed = 1u << 0;  // body is one zstd frame
inline constexpr std::uint16_t kKnown = kCompressed;   // every other bit is an error
}  // namespace flags

struct FrameHeader {
  std::uint32_t length = 0;      // body bytes, padding excluded
  std::uint16_t flags = 0;       // see `flags`
  std::uint16_t dictionary = 0;  // zstd dictionary id, 0 = none; only with kCompressed

  bool compressed() const { return (flags & flags::kCompressed) != 0; }
};

// Bytes of zero padding after a body of `length` bytes.
constexpr std::size_t padding_for(std::size_t length) {
  return (kFrameAlignment - length % kFrameAlignment) % kFrameAlignment;
}

// Total bytes on the wire for a body of `length` bytes.
constexpr std::size_t frame_size(std::size_t length) {
  return kHeaderSize + length + padding_for(length);
}

void write_header(const FrameHeader& header, std::uint8_t* out);

// Reads the header from `bytes` (at least kHeaderSize of them) and checks it against `max_body`.
// Returns Reason::None when the header is acceptable.
Reason read_header(std::span<const std::uint8_t, kHeaderSize> bytes, std::uint32_t max_body,
                   FrameHeader& header);

}  // namespace kite::protocol
