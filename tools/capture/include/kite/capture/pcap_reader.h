// Classic pcap files, record by record: microsecond (magic a1b2c3d4) and nanosecond (a1b23c4d)
// timestamps, in either byte order. pcapng is refused with a hint to convert it.
//
// Rules it keeps:
//  - no length in the file is trusted: a record longer than kMaxRecordLength is an error, and a
//    record's buffer grows with the bytes that actually arrive, not with the length it claims,
//    so a corrupt length costs at most one read step;
//  - every error says what was wrong and at which byte of the file, and is final: a file cut
//    short or corrupt ends with an error after the records before it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kite/capture/byte_source.h"

namespace kite::capture {

// The largest record accepted: a Kite recording's record (16-byte pseudo-header and a frame of
// the largest size, within the snaplen kited writes: 16 MiB + 64) with room to spare; a tcpdump
// packet is far smaller.
inline constexpr std::uint32_t kMaxRecordLength = (16u << 20) + 4096;

inline constexpr std::size_t kFileHeaderSize = 24;
inline constexpr std::size_t kRecordHeaderSize = 16;

namespace link_type {
inline constexpr std::uint32_t kNull = 0;  // BSD loopback: a 4-byte address family
inline constexpr std::uint32_t kEthernet = 1;
inline constexpr std::uint32_t kRaw = 101;  // IPv4 or IPv6, told by the version nibble
inline constexpr std::uint32_t kLinuxSll = 113;
inline constexpr std::uint32_t kKiteRecording = 147;  // LINKTYPE_USER0, docs/recording.md
inline constexpr std::uint32_t kIpv4 = 228;
inline constexpr std::uint32_t kIpv6 = 229;
inline constexpr std::uint32_t kLinuxSll2 = 276;
}  // namespace link_type

struct PcapFileHeader {
  std::uint16_t version_major = 0, version_minor = 0;
  std::uint32_t snaplen = 0;
  std::uint32_t link_type = 0;  // the low 16 bits of the field (the rest carries FCS hints)
  bool nanosecond = false;      // timestamps' fraction is in ns (else µs)
  bool big_endian = false;      // the file's byte order
};

struct Packet {
  std::int64_t time_ns = 0;            // since the epoch
  std::uint32_t original_length = 0;   // on the wire; data may be shorter (snaplen)
  std::uint64_t file_offset = 0;       // of the record header
  std::span<const std::uint8_t> data;  // valid until the next call to next()
};

class PcapReader {
 public:
  enum class Status { Packet, End, Error };

  explicit PcapReader(ByteSource& source) : source_(source) {}

  // Reads and checks the file header; false, with error(), when this is not a classic pcap
  // file this reader takes.
  bool open();
  const PcapFileHeader& header() const { return header_; }

  // The next record; Error is final (see error()).
  Status next(Packet& packet);

  const std::string& error() const { return error_; }
  std::uint64_t offset() const { return offset_; }  // bytes read so far

 private:
  Status fail(std::string message);
  bool refuse(std::string message);  // fail() for open()
  // Reads up to `n` bytes onto the end of `buffer_`, growing it step by step.
  std::size_t read_into_buffer(std::size_t n);
  std::uint32_t u32(const std::uint8_t* p) const;
  std::uint16_t u16(const std::uint8_t* p) const;

  ByteSource& source_;
  PcapFileHeader header_;
  std::vector<std::uint8_t> buffer_;  // the current record's data
  std::uint64_t offset_ = 0;
  std::string error_;
  bool failed_ = false;
};

}  // namespace kite::capture
