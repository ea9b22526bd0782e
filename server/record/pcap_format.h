// The bytes of a recording (docs/recording.md): a classic pcap file with nanosecond timestamps
// and the private link type 147, whose packets are events of one connection behind a 16-byte
// pseudo-header. Pure encoding, no I/O; readers (kite decode, the Wireshark dissector, the tests)
// are written against the same document.
//
// Rules it keeps:
//  - pcap's own headers are little-endian (the magic says so), the pseudo-header big-endian;
//  - the snap length holds the largest frame with room to spare, so no packet is ever cut.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kite/protocol/frame_header.h"

namespace kite::server::record {

inline constexpr std::uint32_t kMagicNanoseconds = 0xa1b23c4d;
inline constexpr std::uint16_t kVersionMajor = 2;
inline constexpr std::uint16_t kVersionMinor = 4;
inline constexpr std::uint32_t kSnapLength = protocol::kAbsoluteMaxBody + 64;
inline constexpr std::uint32_t kLinkType = 147;  // LINKTYPE_USER0

inline constexpr std::size_t kFileHeaderSize = 24;
inline constexpr std::size_t kRecordHeaderSize = 16;  // pcap's per-packet header
inline constexpr std::size_t kPseudoHeaderSize = 16;  // ours, in front of every payload
inline constexpr std::uint8_t kPseudoHeaderVersion = 1;
inline constexpr std::uint8_t kFlagTls = 1u << 0;  // came in through the TLS listener

enum class EventKind : std::uint8_t { frame = 0, opened = 1, closed = 2 };
enum class Direction : std::uint8_t { uplink = 0, downlink = 1 };

// The pseudo-header's fields, without its version and reserved bytes.
struct EventHeader {
  EventKind kind = EventKind::frame;
  Direction direction = Direction::uplink;
  std::uint8_t flags = 0;
  std::uint64_t connection = 0;
};

std::array<std::uint8_t, kFileHeaderSize> file_header();

// Bytes a packet with `payload` bytes takes in the file, its headers included.
constexpr std::size_t record_size(std::size_t payload) {
  return kRecordHeaderSize + kPseudoHeaderSize + payload;
}

// Appends pcap's packet header and the pseudo-header of an event with `payload` bytes, at
// `time_ns` nanoseconds since the Unix epoch; the payload itself goes right after.
void append_record_headers(std::vector<std::uint8_t>& out, std::int64_t time_ns,
                           const EventHeader& header, std::size_t payload);

}  // namespace kite::server::record
