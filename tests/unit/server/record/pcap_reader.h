// A small reader of kited's recordings for the tests, written from docs/recording.md alone (not
// from the writer's code): the global header's fields and every packet with its pseudo-header
// decoded. Also used by tests/integration/test_21_recording.cc. Header-only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kite::test {

struct RecordedPacket {
  std::int64_t time_ns = 0;
  std::uint32_t captured = 0, original = 0;  // pcap's incl_len and orig_len
  std::uint8_t version = 0, kind = 0, direction = 0, flags = 0;
  std::uint64_t connection = 0;
  std::uint32_t reserved = 0;
  std::vector<std::uint8_t> payload;
  std::string text() const { return {payload.begin(), payload.end()}; }
};

struct Recording {
  std::uint32_t magic = 0;
  std::uint16_t version_major = 0, version_minor = 0;
  std::int32_t thiszone = 0;
  std::uint32_t sigfigs = 0, snaplen = 0, link_type = 0;
  std::vector<RecordedPacket> packets;
  std::string error;  // empty when the whole file parsed
  bool ok() const { return error.empty(); }
};

inline std::uint64_t read_le(const std::uint8_t* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

inline std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | p[i];
  return value;
}

inline std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline Recording parse_recording(const std::vector<std::uint8_t>& bytes) {
  Recording r;
  if (bytes.size() < 24) {
    r.error = "shorter than the global header";
    return r;
  }
  const std::uint8_t* p = bytes.data();
  r.magic = static_cast<std::uint32_t>(read_le(p, 4));
  r.version_major = static_cast<std::uint16_t>(read_le(p + 4, 2));
  r.version_minor = static_cast<std::uint16_t>(read_le(p + 6, 2));
  r.thiszone = static_cast<std::int32_t>(read_le(p + 8, 4));
  r.sigfigs = static_cast<std::uint32_t>(read_le(p + 12, 4));
  r.snaplen = static_cast<std::uint32_t>(read_le(p + 16, 4));
  r.link_type = static_cast<std::uint32_t>(read_le(p + 20, 4));
  std::size_t at = 24;
  while (at < bytes.size()) {
    if (bytes.size() - at < 16) {
      r.error = "a packet header is cut at byte " + std::to_string(at);
      return r;
    }
    RecordedPacket packet;
    const std::uint64_t seconds = read_le(p + at, 4), nanos = read_le(p + at + 4, 4);
    if (nanos >= 1'000'000'000) {
      r.error = "nanoseconds out of range at byte " + std::to_string(at);
      return r;
    }
    packet.time_ns = static_cast<std::int64_t>(seconds * 1'000'000'000 + nanos);
    packet.captured = static_cast<std::uint32_t>(read_le(p + at + 8, 4));
    packet.original = static_cast<std::uint32_t>(read_le(p + at + 12, 4));
    at += 16;
    if (packet.captured < 16 || bytes.size() - at < packet.captured) {
      r.error = "a packet is cut or lacks its pseudo-header at byte " + std::to_string(at);
      return r;
    }
    packet.version = p[at];
    packet.kind = p[at + 1];
    packet.direction = p[at + 2];
    packet.flags = p[at + 3];
    packet.connection = read_be(p + at + 4, 8);
    packet.reserved = static_cast<std::uint32_t>(read_be(p + at + 12, 4));
    packet.payload.assign(p + at + 16, p + at + packet.captured);
    at += packet.captured;
    r.packets.push_back(std::move(packet));
  }
  return r;
}

inline Recording read_recording(const std::filesystem::path& path) {
  return parse_recording(file_bytes(path));
}

}  // namespace kite::test
