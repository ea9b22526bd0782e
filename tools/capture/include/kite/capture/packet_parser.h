// From a captured packet to the TCP segment in it: the link layer (Ethernet with at most one
// 802.1Q tag, Linux cooked v1 and v2, BSD loopback in either byte order, raw IP), then IPv4 or
// IPv6, then TCP. Anything else is skipped with a reason the caller counts.
//
// Rules it keeps:
//  - every header length is checked against the bytes captured before it is used;
//  - IPv4 fragments are skipped (a Kite connection on loopback or a LAN has none); IPv6 is read
//    through hop-by-hop, routing and destination-options headers, and skipped at any other
//    extension header (fragment, AH, ESP...);
//  - a packet cut by the snaplen yields the payload bytes that were captured: the missing ones
//    show up as a gap in the reassembled stream.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "kite/capture/connection_key.h"

namespace kite::capture {

enum class Skip : std::uint8_t {
  None,             // a TCP segment
  NotIp,            // the link layer carried something else (ARP, ...)
  Ipv4Fragment,     // more fragments follow, or not the first fragment
  Ipv6Extension,    // an IPv6 extension header this parser does not walk
  NotTcp,           // UDP, ICMP, ...
  Malformed,        // a header that does not fit the bytes or contradicts itself
  UnknownLinkType,  // not one of the link types above
};
inline constexpr std::size_t kSkipReasons = 7;

// "IPv4 fragments" and so on, for the summary line.
std::string_view skip_name(Skip skip);

namespace tcp_flags {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flags

struct TcpSegment {
  Endpoint source, destination;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::span<const std::uint8_t> payload;  // into the packet's bytes
  bool cut_short = false;                 // the snaplen cut some of the payload off

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
};

struct ParsedPacket {
  Skip skip = Skip::None;
  TcpSegment segment;  // when skip == Skip::None
};

// True for the link types parse_packet() reads (not the Kite recording, 147).
bool is_ip_link_type(std::uint32_t link_type);

ParsedPacket parse_packet(std::uint32_t link_type, std::span<const std::uint8_t> data);

}  // namespace kite::capture
