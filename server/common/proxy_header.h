// The PROXY protocol header (HAProxy's "PROXY protocol", versions 1 and 2) that a TCP proxy in
// front of kited writes before the client's first byte, to tell who the client really is.
//
//   v1: "PROXY TCP4 192.0.2.7 198.51.100.1 51234 7000\r\n"  (text, at most 107 bytes)
//   v2: "\r\n\r\n\0\r\nQUIT\n" | ver/cmd | family | length (2, big-endian) | addresses | TLVs
//
// Sans-IO: feed() takes the bytes as the socket delivers them (the header may be split across
// reads, and the client's own first bytes may follow it in the same read) and answers NeedMore,
// Done or Error. On Done, `consumed` says how many bytes of that last feed were the header's:
// the rest belongs to the client (its TLS ClientHello, its Kite hello) and must be passed on
// unchanged. The parser never takes a byte past the header's end.
//
// Rules it keeps:
//  - bounded: a v1 line longer than 107 bytes, or a v2 header whose length field announces more
//    than kMaxProxyV2Payload bytes, is refused as soon as that is known, before it is buffered;
//  - the first wrong byte ends it: a signature, keyword or separator that does not match is an
//    Error on the byte that shows it, so a client that is not a proxy is not waited for;
//  - LOCAL (v2), UNKNOWN (v1) and the UNSPEC family (v2) carry no client address: Done with
//    `proxied` false, and the connection keeps its socket's own address (a proxy's health check);
//  - only TCP over IPv4 or IPv6 is taken (v2 STREAM over INET or INET6); UDP and UNIX sockets are
//    refused, since nothing else can reach a TCP listener;
//  - v2 TLVs are walked (each must fit in the header) and skipped: kited uses none of them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/ip_address.h"

namespace kite::server {

// Which versions a listener takes from its proxies (device.proxy_protocol, admin.proxy_protocol).
enum class ProxyVersions : std::uint8_t { off, v1, v2, any };

inline constexpr std::size_t kMaxProxyV1Bytes = 107;     // the spec's bound, "\r\n" included
inline constexpr std::size_t kProxyV2FixedBytes = 16;    // signature, ver/cmd, family, length
inline constexpr std::size_t kMaxProxyV2Payload = 1024;  // addresses (36 at most) and TLVs
inline constexpr std::size_t kMaxProxyHeaderBytes = kProxyV2FixedBytes + kMaxProxyV2Payload;

// The v2 signature: CR LF CR LF NUL CR LF "QUIT" LF.
inline constexpr std::array<std::uint8_t, 12> kProxyV2Signature = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
inline constexpr std::string_view kProxyV1Prefix = "PROXY ";

struct ProxyEndpoint {
  IpAddress ip;  // canonical 16-byte form: IPv4 as ::ffff:a.b.c.d
  std::uint16_t port = 0;
  bool operator==(const ProxyEndpoint&) const = default;
};

struct ProxyHeader {
  std::uint8_t version = 0;   // 1 or 2
  bool proxied = false;       // false: LOCAL, UNKNOWN or UNSPEC; keep the socket's own address
  ProxyEndpoint source;       // the client, when proxied
  ProxyEndpoint destination;  // the address the client dialled, when proxied
  std::size_t size = 0;       // bytes of the whole header
  bool operator==(const ProxyHeader&) const = default;
};

class ProxyHeaderParser {
 public:
  enum class Status : std::uint8_t { NeedMore, Done, Error };
  struct Result {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;  // bytes of this feed that were the header's (all, unless Done)
    std::string_view error;    // Error: what was wrong, a constant string
  };

  explicit ProxyHeaderParser(ProxyVersions accepted) : accepted_(accepted) {}

  // After Done or Error, further calls return the same status and consume nothing.
  Result feed(std::span<const std::uint8_t> bytes);
  // Valid after Done.
  const ProxyHeader& header() const { return header_; }
  std::size_t buffered() const { return size_; }

 private:
  enum class Stage : std::uint8_t { Version, V1, V2, Done, Error };

  // Takes one byte while the version is not known yet; Stage::Error with error_ on a mismatch.
  void take_version_byte(std::uint8_t byte);
  // v1: takes one byte of the line; finishes it on "\n".
  void take_v1_byte(std::uint8_t byte);
  // v2: the bytes the header still needs; checks the fixed part once it is complete.
  std::size_t v2_wanted() const;
  void after_v2_bytes();
  void fail(std::string_view error);

  ProxyVersions accepted_;
  Stage stage_ = Stage::Version;
  std::string_view error_;
  ProxyHeader header_;
  std::size_t size_ = 0;  // bytes of buffer_ in use
  std::array<std::uint8_t, kMaxProxyHeaderBytes> buffer_{};
};

// The parser's verdicts on complete headers, kept apart so they can be read (and tested) alone.
// Each returns "" and fills `header` (proxied, source, destination), or the error.
std::string_view parse_proxy_v1_line(std::string_view line, ProxyHeader& header);
std::string_view parse_proxy_v2_block(std::span<const std::uint8_t> header_bytes,
                                      ProxyHeader& header);

}  // namespace kite::server
