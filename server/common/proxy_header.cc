// The PROXY header parser's byte feeding: which version, how many bytes, when it is complete;
// see proxy_header.h. What a complete header says is read by proxy_header_formats.cc.
//
// The buffer, as bytes arrive (the parser never holds more than one header):
//
//   v1:  | "PROXY " | text ... | "\r\n" |          taken byte by byte up to the LF, <= 107
//   v2:  | signature (12) | vc | fam | len (2) | len bytes |   the fixed 16, then exactly len
//        0                                    16           16 + len <= kMaxProxyHeaderBytes
#include "common/proxy_header.h"

#include <algorithm>
#include <cstring>

namespace kite::server {
namespace {

constexpr std::uint8_t kV2Local = 0x20;
constexpr std::uint8_t kV2Proxy = 0x21;
constexpr std::uint8_t kV2Unspec = 0x00;
constexpr std::uint8_t kV2TcpOverIpv4 = 0x11;
constexpr std::uint8_t kV2TcpOverIpv6 = 0x21;

bool accepts_v1(ProxyVersions accepted) {
  return accepted == ProxyVersions::v1 || accepted == ProxyVersions::any;
}

bool accepts_v2(ProxyVersions accepted) {
  return accepted == ProxyVersions::v2 || accepted == ProxyVersions::any;
}

// The smallest address block each family needs (v2): two addresses and two ports.
std::size_t address_bytes(std::uint8_t family) {
  if (family == kV2TcpOverIpv4) return 12;
  if (family == kV2TcpOverIpv6) return 36;
  return 0;
}

}  // namespace

ProxyHeaderParser::Result ProxyHeaderParser::feed(std::span<const std::uint8_t> bytes) {
  std::size_t taken = 0;
  while (taken < bytes.size() &&
         (stage_ == Stage::Version || stage_ == Stage::V1 || stage_ == Stage::V2)) {
    if (stage_ == Stage::V2) {
      // The fixed part a byte at a time, so a bad byte is refused where it stands, however the
      // input was cut; then (its length known) the rest in one run.
      const std::size_t wanted = size_ < kProxyV2FixedBytes ? 1 : v2_wanted();
      const std::size_t run = std::min(wanted, bytes.size() - taken);
      std::memcpy(buffer_.data() + size_, bytes.data() + taken, run);
      size_ += run;
      taken += run;
      after_v2_bytes();
      continue;
    }
    const std::uint8_t byte = bytes[taken++];
    if (stage_ == Stage::Version)
      take_version_byte(byte);
    else
      take_v1_byte(byte);
  }
  if (stage_ == Stage::Done) return {Status::Done, taken, {}};
  if (stage_ == Stage::Error) return {Status::Error, taken, error_};
  return {Status::NeedMore, taken, {}};
}

void ProxyHeaderParser::fail(std::string_view error) {
  stage_ = Stage::Error;
  error_ = error;
}

// The two versions differ from their first byte ('P' or CR), so one byte decides.
void ProxyHeaderParser::take_version_byte(std::uint8_t byte) {
  buffer_[size_++] = byte;
  if (byte == static_cast<std::uint8_t>(kProxyV1Prefix[0])) {
    if (!accepts_v1(accepted_)) return fail("a version 1 header where only version 2 is taken");
    stage_ = Stage::V1;
  } else if (byte == kProxyV2Signature[0]) {
    if (!accepts_v2(accepted_)) return fail("a version 2 header where only version 1 is taken");
    stage_ = Stage::V2;
  } else {
    fail("no PROXY protocol header");
  }
}

void ProxyHeaderParser::take_v1_byte(std::uint8_t byte) {
  if (size_ < kProxyV1Prefix.size()) {
    if (byte != static_cast<std::uint8_t>(kProxyV1Prefix[size_]))
      return fail("no PROXY protocol header (v1 signature)");
    buffer_[size_++] = byte;
    return;
  }
  if (size_ == kMaxProxyV1Bytes) return fail("v1 header longer than 107 bytes");
  const bool after_cr = buffer_[size_ - 1] == '\r';
  buffer_[size_++] = byte;
  if (after_cr && byte != '\n') return fail("v1 header: CR not followed by LF");
  if (byte == '\n') {
    if (!after_cr) return fail("v1 header: LF without CR");
    header_ = {};
    const std::string_view line(reinterpret_cast<const char*>(buffer_.data()), size_ - 2);
    if (auto error = parse_proxy_v1_line(line, header_); !error.empty()) return fail(error);
    header_.version = 1;
    header_.size = size_;
    stage_ = Stage::Done;
    return;
  }
  if (byte != '\r' && (byte < 0x20 || byte > 0x7e))
    return fail("v1 header: a byte that is not text");
}

std::size_t ProxyHeaderParser::v2_wanted() const {
  if (size_ < kProxyV2FixedBytes) return kProxyV2FixedBytes - size_;
  const std::size_t length = (std::size_t{buffer_[14]} << 8) | buffer_[15];
  return kProxyV2FixedBytes + length - size_;
}

// Each check runs as soon as its byte is in, so a bad header is refused before it is buffered.
void ProxyHeaderParser::after_v2_bytes() {
  const std::size_t signature = std::min(size_, kProxyV2Signature.size());
  if (!std::equal(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(signature),
                  kProxyV2Signature.begin()))
    return fail("no PROXY protocol header (v2 signature)");
  if (size_ > 12 && buffer_[12] != kV2Local && buffer_[12] != kV2Proxy)
    return fail("v2 header: version is not 2, or command is neither LOCAL nor PROXY");
  const bool proxy = buffer_[12] == kV2Proxy;
  const std::uint8_t family = size_ > 13 ? buffer_[13] : kV2Unspec;
  if (proxy && family != kV2Unspec && family != kV2TcpOverIpv4 && family != kV2TcpOverIpv6)
    return fail("v2 header: not TCP over IPv4 or IPv6");
  if (size_ < kProxyV2FixedBytes) return;
  const std::size_t length = (std::size_t{buffer_[14]} << 8) | buffer_[15];
  if (length > kMaxProxyV2Payload)
    return fail("v2 header: longer than 1024 bytes of addresses and TLVs");
  if (proxy && length < address_bytes(family))
    return fail("v2 header: too short for its addresses");
  if (v2_wanted() != 0) return;
  header_ = {};
  if (auto error = parse_proxy_v2_block({buffer_.data(), size_}, header_); !error.empty())
    return fail(error);
  header_.version = 2;
  header_.size = size_;
  stage_ = Stage::Done;
}

}  // namespace kite::server
