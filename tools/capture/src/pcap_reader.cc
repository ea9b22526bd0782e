#include "kite/capture/pcap_reader.h"

#include <algorithm>
#include <cstdio>

#include "byte_order.h"

namespace kite::capture {
namespace {

// A record's buffer grows by at most this much per read, so that a length the file lies about
// costs no more memory than the bytes that follow it.
constexpr std::size_t kReadStep = 64 * 1024;

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kMagicPcapng = 0x0a0d0d0a;  // a pcapng Section Header Block

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace

std::uint32_t PcapReader::u32(const std::uint8_t* p) const {
  return header_.big_endian ? load_be32(p) : load_le32(p);
}

std::uint16_t PcapReader::u16(const std::uint8_t* p) const {
  return header_.big_endian ? load_be16(p) : load_le16(p);
}

PcapReader::Status PcapReader::fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  return Status::Error;
}

std::size_t PcapReader::read_into_buffer(std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t at = buffer_.size();
    const std::size_t step = std::min(kReadStep, n - got);
    buffer_.resize(at + step);
    const std::size_t read = source_.read({buffer_.data() + at, step});
    buffer_.resize(at + read);
    got += read;
    offset_ += read;
    if (read < step) break;
  }
  return got;
}

bool PcapReader::refuse(std::string message) {
  fail(std::move(message));
  return false;
}

bool PcapReader::open() {
  buffer_.clear();
  const std::size_t got = read_into_buffer(kFileHeaderSize);
  if (const std::string read_error = source_.error(); !read_error.empty())
    return refuse(read_error + " at byte " + std::to_string(offset_));
  if (got == 0) return refuse("the file is empty: not a pcap file");
  if (got >= 4) {
    const std::uint32_t little = load_le32(buffer_.data());
    const std::uint32_t big = load_be32(buffer_.data());
    if (little == kMagicPcapng)
      return refuse(
          "this is a pcapng file, which is not supported: convert it to classic pcap with "
          "`editcap -F pcap IN OUT` (or capture with `tcpdump -w`, which writes pcap)");
    if (little == kMagicMicro || little == kMagicNano) {
      header_.nanosecond = little == kMagicNano;
    } else if (big == kMagicMicro || big == kMagicNano) {
      header_.big_endian = true;
      header_.nanosecond = big == kMagicNano;
    } else {
      return refuse("not a pcap file: it starts with " + hex32(big) +
                    " at byte 0, where a pcap magic number (a1b2c3d4 or a1b23c4d) belongs");
    }
  }
  if (got < kFileHeaderSize)
    return refuse("the pcap file header at byte 0 is cut short: the file ends after " +
                  std::to_string(got) + " of its " + std::to_string(kFileHeaderSize) + " bytes");
  header_.version_major = u16(buffer_.data() + 4);
  header_.version_minor = u16(buffer_.data() + 6);
  header_.snaplen = u32(buffer_.data() + 16);
  header_.link_type = u32(buffer_.data() + 20) & 0xffff;
  if (header_.version_major != 2)
    return refuse("unsupported pcap version " + std::to_string(header_.version_major) + "." +
                  std::to_string(header_.version_minor) + " at byte 4 (expected 2.4)");
  return true;
}

PcapReader::Status PcapReader::next(Packet& packet) {
  if (failed_) return Status::Error;
  const std::uint64_t record_offset = offset_;
  buffer_.clear();
  const std::size_t got = read_into_buffer(kRecordHeaderSize);
  if (const std::string read_error = source_.error(); !read_error.empty())
    return fail(read_error + " at byte " + std::to_string(offset_));
  if (got == 0) return Status::End;
  if (got < kRecordHeaderSize)
    return fail("record header at byte " + std::to_string(record_offset) +
                " is cut short: " + std::to_string(got) + " of " +
                std::to_string(kRecordHeaderSize) + " bytes (the file ends there)");
  const std::uint32_t seconds = u32(buffer_.data());
  const std::uint32_t fraction = u32(buffer_.data() + 4);
  const std::uint32_t captured = u32(buffer_.data() + 8);
  const std::uint32_t original = u32(buffer_.data() + 12);
  if (captured > kMaxRecordLength)
    return fail("record at byte " + std::to_string(record_offset) + " claims " +
                std::to_string(captured) + " bytes, above the limit of " +
                std::to_string(kMaxRecordLength) + ": the file is corrupt");

  buffer_.clear();
  const std::size_t data = read_into_buffer(captured);
  if (const std::string read_error = source_.error(); !read_error.empty())
    return fail(read_error + " at byte " + std::to_string(offset_));
  if (data < captured)
    return fail("record at byte " + std::to_string(record_offset) +
                " is cut short: " + std::to_string(data) + " of its " + std::to_string(captured) +
                " bytes are in the file");

  packet.time_ns = std::int64_t(seconds) * 1'000'000'000 +
                   std::int64_t(fraction) * (header_.nanosecond ? 1 : 1'000);
  packet.original_length = original;
  packet.file_offset = record_offset;
  packet.data = {buffer_.data(), buffer_.size()};
  return Status::Packet;
}

}  // namespace kite::capture
