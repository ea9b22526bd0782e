// Byte builders for the capture tests: pcap files (either magic, either byte order), link-layer
// headers, IPv4 / IPv6 / TCP packets, Kite frames and Kite recording records. Written from the
// formats' specifications, not from the reader's code, so the reader is checked against them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/capture/connection_key.h"
#include "kite/protocol/frame_codec.h"

namespace kite::capture::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

inline void put_be16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

inline void put_be32(Bytes& b, std::uint32_t v) {
  put_be16(b, v >> 16);
  put_be16(b, v & 0xffff);
}

inline void put_le16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

inline void put_le32(Bytes& b, std::uint32_t v) {
  put_le16(b, v & 0xffff);
  put_le16(b, v >> 16);
}

inline void append(Bytes& to, std::span<const std::uint8_t> from) {
  to.insert(to.end(), from.begin(), from.end());
}

// A classic pcap file being written.
class PcapBuilder {
 public:
  explicit PcapBuilder(std::uint32_t link_type, bool nanosecond = true, bool big_endian = false,
                       std::uint32_t snaplen = 262144)
      : nanosecond_(nanosecond), big_endian_(big_endian) {
    u32(nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);
    u16(2);
    u16(4);
    u32(0);  // thiszone
    u32(0);  // sigfigs
    u32(snaplen);
    u32(link_type);
  }

  // A record at `time_ns` (rounded down to µs for a microsecond file). `original`: the length
  // on the wire when the snaplen cut the packet.
  PcapBuilder& add(std::int64_t time_ns, std::span<const std::uint8_t> data,
                   std::optional<std::uint32_t> original = std::nullopt) {
    u32(static_cast<std::uint32_t>(time_ns / 1'000'000'000));
    const std::int64_t fraction = time_ns % 1'000'000'000;
    u32(static_cast<std::uint32_t>(nanosecond_ ? fraction : fraction / 1000));
    u32(static_cast<std::uint32_t>(data.size()));
    u32(original.value_or(static_cast<std::uint32_t>(data.size())));
    append(bytes, data);
    return *this;
  }

  Bytes bytes;

 private:
  void u32(std::uint32_t v) { big_endian_ ? put_be32(bytes, v) : put_le32(bytes, v); }
  void u16(std::uint32_t v) { big_endian_ ? put_be16(bytes, v) : put_le16(bytes, v); }

  bool nanosecond_;
  bool big_endian_;
};

inline Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                   std::uint16_t port) {
  Endpoint e;
  e.address[0] = a;
  e.address[1] = b;
  e.address[2] = c;
  e.address[3] = d;
  e.port = port;
  return e;
}

inline Endpoint v6_loopback(std::uint16_t port) {
  Endpoint e;
  e.ipv6 = true;
  e.address[15] = 1;
  e.port = port;
  return e;
}

struct Segment {
  Endpoint source, destination;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0x10;  // ACK
  Bytes payload;
};

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

inline Bytes tcp_header(const Segment& s) {
  Bytes b;
  put_be16(b, s.source.port);
  put_be16(b, s.destination.port);
  put_be32(b, s.seq);
  put_be32(b, s.ack);
  b.push_back(0x50);  // 20-byte header
  b.push_back(s.flags);
  put_be16(b, 65535);  // window
  put_be16(b, 0);      // checksum (not checked)
  put_be16(b, 0);      // urgent pointer
  return b;
}

// An IPv4 packet carrying `s`. `options`: IP option bytes (a multiple of 4); `fragment`: the
// flags/fragment-offset field; `protocol`: 6 for TCP.
inline Bytes ipv4(const Segment& s, const Bytes& options = {}, std::uint16_t fragment = 0x4000,
                  std::uint8_t protocol = 6) {
  Bytes tcp = tcp_header(s);
  append(tcp, s.payload);
  Bytes b;
  b.push_back(static_cast<std::uint8_t>(0x40 | (5 + options.size() / 4)));
  b.push_back(0);
  put_be16(b, static_cast<std::uint32_t>(20 + options.size() + tcp.size()));
  put_be16(b, 0);  // identification
  put_be16(b, fragment);
  b.push_back(64);  // TTL
  b.push_back(protocol);
  put_be16(b, 0);  // checksum
  b.insert(b.end(), s.source.address.begin(), s.source.address.begin() + 4);
  b.insert(b.end(), s.destination.address.begin(), s.destination.address.begin() + 4);
  append(b, options);
  append(b, tcp);
  return b;
}

// An IPv6 packet carrying `s` behind the extension headers `extensions` (each: next-header
// value, total length a multiple of 8; the list's types in order).
inline Bytes ipv6(const Segment& s, const std::vector<std::uint8_t>& extensions = {}) {
  Bytes tcp = tcp_header(s);
  append(tcp, s.payload);
  Bytes chain;
  for (std::size_t i = 0; i < extensions.size(); ++i) {
    chain.push_back(i + 1 < extensions.size() ? extensions[i + 1] : 6);
    chain.push_back(0);  // 8 bytes in all
    for (int k = 0; k < 6; ++k) chain.push_back(1);
  }
  Bytes b = {0x60, 0, 0, 0};
  put_be16(b, static_cast<std::uint32_t>(chain.size() + tcp.size()));
  b.push_back(extensions.empty() ? 6 : extensions[0]);
  b.push_back(64);  // hop limit
  b.insert(b.end(), s.source.address.begin(), s.source.address.end());
  b.insert(b.end(), s.destination.address.begin(), s.destination.address.end());
  append(b, chain);
  append(b, tcp);
  return b;
}

inline Bytes ethernet(std::uint16_t ethertype, const Bytes& payload,
                      std::optional<std::uint16_t> vlan = std::nullopt) {
  Bytes b = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};  // destination, source MAC
  if (vlan) {
    put_be16(b, 0x8100);
    put_be16(b, *vlan);
  }
  put_be16(b, ethertype);
  append(b, payload);
  return b;
}

inline Bytes linux_sll(std::uint16_t protocol, const Bytes& payload) {
  Bytes b;
  put_be16(b, 0);    // packet type: to us
  put_be16(b, 772);  // ARPHRD_LOOPBACK
  put_be16(b, 6);    // address length
  for (int i = 0; i < 8; ++i) b.push_back(0);
  put_be16(b, protocol);
  append(b, payload);
  return b;
}

inline Bytes linux_sll2(std::uint16_t protocol, const Bytes& payload) {
  Bytes b;
  put_be16(b, protocol);
  put_be16(b, 0);  // reserved
  put_be32(b, 1);  // interface index
  put_be16(b, 772);
  b.push_back(0);  // packet type
  b.push_back(6);  // address length
  for (int i = 0; i < 8; ++i) b.push_back(0);
  append(b, payload);
  return b;
}

inline Bytes bsd_null(std::uint32_t family, bool big_endian, const Bytes& payload) {
  Bytes b;
  big_endian ? put_be32(b, family) : put_le32(b, family);
  append(b, payload);
  return b;
}

// A Kite frame with `body` as it is (the splitter and reassembly do not look inside bodies).
inline Bytes raw_frame(std::string_view body, std::uint16_t flags = 0,
                       std::uint16_t dictionary = 0) {
  protocol::FrameHeader header;
  header.length = static_cast<std::uint32_t>(body.size());
  header.flags = flags;
  header.dictionary = dictionary;
  Bytes out;
  protocol::append_raw_frame(
      header, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()}, out);
  return out;
}

// A Kite recording record: pseudo-header and payload (docs/recording.md).
inline Bytes record(std::uint8_t kind, std::uint8_t direction, std::uint64_t connection,
                    std::span<const std::uint8_t> payload, bool tls = false,
                    std::uint8_t version = 1) {
  Bytes b = {version, kind, direction, static_cast<std::uint8_t>(tls ? 1 : 0)};
  put_be32(b, static_cast<std::uint32_t>(connection >> 32));
  put_be32(b, static_cast<std::uint32_t>(connection));
  put_be32(b, 0);
  append(b, payload);
  return b;
}

}  // namespace kite::capture::test
