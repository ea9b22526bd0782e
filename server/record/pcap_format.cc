#include "record/pcap_format.h"

namespace kite::server::record {
namespace {

void put_le(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

void put_be(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
}

}  // namespace

std::array<std::uint8_t, kFileHeaderSize> file_header() {
  std::array<std::uint8_t, kFileHeaderSize> header{};
  put_le(&header[0], kMagicNanoseconds, 4);
  put_le(&header[4], kVersionMajor, 2);
  put_le(&header[6], kVersionMinor, 2);
  // 8..15: time zone offset and timestamp accuracy, both 0 as every writer today sets them.
  put_le(&header[16], kSnapLength, 4);
  put_le(&header[20], kLinkType, 4);
  return header;
}

void append_record_headers(std::vector<std::uint8_t>& out, std::int64_t time_ns,
                           const EventHeader& header, std::size_t payload) {
  const std::size_t at = out.size();
  out.resize(at + kRecordHeaderSize + kPseudoHeaderSize);
  std::uint8_t* p = out.data() + at;
  const auto time = static_cast<std::uint64_t>(time_ns < 0 ? 0 : time_ns);
  const auto captured = static_cast<std::uint64_t>(kPseudoHeaderSize + payload);
  put_le(p, time / 1'000'000'000u, 4);
  put_le(p + 4, time % 1'000'000'000u, 4);
  put_le(p + 8, captured, 4);   // bytes in the file...
  put_le(p + 12, captured, 4);  // ...are the whole event: nothing is ever cut
  p += kRecordHeaderSize;
  p[0] = kPseudoHeaderVersion;
  p[1] = static_cast<std::uint8_t>(header.kind);
  p[2] = static_cast<std::uint8_t>(header.direction);
  p[3] = header.flags;
  put_be(p + 4, header.connection, 8);
  put_be(p + 12, 0, 4);  // reserved
}

}  // namespace kite::server::record
