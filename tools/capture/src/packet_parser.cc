#include "kite/capture/packet_parser.h"

#include <algorithm>
#include <cstring>

#include "byte_order.h"
#include "kite/capture/pcap_reader.h"

namespace kite::capture {
namespace {

using Bytes = std::span<const std::uint8_t>;

enum class Network { Ipv4, Ipv6 };

// What the link layer carried: an IP packet of either version, or a reason to skip.
struct LinkPayload {
  Skip skip = Skip::None;
  Network network = Network::Ipv4;
  Bytes bytes;
};

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint8_t kProtocolTcp = 6;

LinkPayload skipped(Skip skip) {
  return {skip, Network::Ipv4, {}};
}

LinkPayload by_ethertype(std::uint16_t type, Bytes bytes) {
  if (type == kEtherIpv4) return {Skip::None, Network::Ipv4, bytes};
  if (type == kEtherIpv6) return {Skip::None, Network::Ipv6, bytes};
  return skipped(Skip::NotIp);
}

LinkPayload by_version_nibble(Bytes bytes) {
  if (bytes.empty()) return skipped(Skip::Malformed);
  if (bytes[0] >> 4 == 4) return {Skip::None, Network::Ipv4, bytes};
  if (bytes[0] >> 4 == 6) return {Skip::None, Network::Ipv6, bytes};
  return skipped(Skip::Malformed);
}

LinkPayload strip_ethernet(Bytes b) {
  if (b.size() < 14) return skipped(Skip::Malformed);
  std::uint16_t type = load_be16(b.data() + 12);
  std::size_t header = 14;
  if (type == kEtherVlan || type == kEtherQinQ) {  // one tag: 2 bytes of tag, then the type
    if (b.size() < 18) return skipped(Skip::Malformed);
    type = load_be16(b.data() + 16);
    header = 18;
  }
  return by_ethertype(type, b.subspan(header));
}

// BSD loopback: the address family as a 32-bit integer in the capturing host's byte order.
LinkPayload strip_null(Bytes b) {
  if (b.size() < 4) return skipped(Skip::Malformed);
  const std::uint32_t little = load_le32(b.data());
  const std::uint32_t family = little <= 0xffff ? little : load_be32(b.data());
  if (family == 2) return {Skip::None, Network::Ipv4, b.subspan(4)};  // AF_INET everywhere
  // AF_INET6: 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
  if (family == 10 || family == 24 || family == 28 || family == 30)
    return {Skip::None, Network::Ipv6, b.subspan(4)};
  return skipped(Skip::NotIp);
}

LinkPayload strip_link(std::uint32_t link_type, Bytes b) {
  switch (link_type) {
    case link_type::kEthernet:
      return strip_ethernet(b);
    case link_type::kLinuxSll:  // 16 bytes, the protocol type last
      if (b.size() < 16) return skipped(Skip::Malformed);
      return by_ethertype(load_be16(b.data() + 14), b.subspan(16));
    case link_type::kLinuxSll2:  // 20 bytes, the protocol type first
      if (b.size() < 20) return skipped(Skip::Malformed);
      return by_ethertype(load_be16(b.data()), b.subspan(20));
    case link_type::kNull:
      return strip_null(b);
    case link_type::kRaw:
      return by_version_nibble(b);
    case link_type::kIpv4: {
      LinkPayload ip = by_version_nibble(b);
      return ip.skip == Skip::None && ip.network != Network::Ipv4 ? skipped(Skip::Malformed) : ip;
    }
    case link_type::kIpv6: {
      LinkPayload ip = by_version_nibble(b);
      return ip.skip == Skip::None && ip.network != Network::Ipv6 ? skipped(Skip::Malformed) : ip;
    }
    default:
      return skipped(Skip::UnknownLinkType);
  }
}

ParsedPacket skip_packet(Skip skip) {
  ParsedPacket packet;
  packet.skip = skip;
  return packet;
}

ParsedPacket parse_tcp(Bytes b, ParsedPacket packet) {
  if (b.size() < 20) return skip_packet(Skip::Malformed);
  const std::size_t header = std::size_t(b[12] >> 4) * 4;
  if (header < 20 || header > b.size()) return skip_packet(Skip::Malformed);
  TcpSegment& s = packet.segment;
  s.source.port = load_be16(b.data());
  s.destination.port = load_be16(b.data() + 2);
  s.seq = load_be32(b.data() + 4);
  s.ack = load_be32(b.data() + 8);
  s.flags = b[13];
  s.payload = b.subspan(header);
  return packet;
}

// The bytes the IP header says the packet has, as far as they were captured (an Ethernet
// frame may carry padding after them; the snaplen may have cut them).
Bytes clip_to_total(Bytes b, std::size_t total, ParsedPacket& packet) {
  if (total == 0) return b;  // segmentation offload: the length was never filled in
  packet.segment.cut_short = total > b.size();
  return b.first(std::min(total, b.size()));
}

ParsedPacket parse_ipv4(Bytes b) {
  if (b.size() < 20 || b[0] >> 4 != 4) return skip_packet(Skip::Malformed);
  const std::size_t header = std::size_t(b[0] & 0x0f) * 4;
  const std::size_t total = load_be16(b.data() + 2);
  if (header < 20 || header > b.size() || (total != 0 && total < header))
    return skip_packet(Skip::Malformed);
  const std::uint16_t fragment = load_be16(b.data() + 6);
  if ((fragment & 0x2000) != 0 || (fragment & 0x1fff) != 0) return skip_packet(Skip::Ipv4Fragment);
  if (b[9] != kProtocolTcp) return skip_packet(Skip::NotTcp);
  ParsedPacket packet;
  std::memcpy(packet.segment.source.address.data(), b.data() + 12, 4);
  std::memcpy(packet.segment.destination.address.data(), b.data() + 16, 4);
  Bytes ip = clip_to_total(b, total, packet);
  return parse_tcp(ip.subspan(header), packet);
}

bool is_walked_extension(std::uint8_t next) {
  return next == 0 || next == 43 || next == 60;  // hop-by-hop, routing, destination options
}

bool is_other_extension(std::uint8_t next) {
  // fragment, ESP, AH, mobility, HIP, shim6, experimental
  return next == 44 || next == 50 || next == 51 || next == 135 || next == 139 || next == 140 ||
         next == 253 || next == 254;
}

ParsedPacket parse_ipv6(Bytes b) {
  if (b.size() < 40 || b[0] >> 4 != 6) return skip_packet(Skip::Malformed);
  ParsedPacket packet;
  packet.segment.source.ipv6 = packet.segment.destination.ipv6 = true;
  std::memcpy(packet.segment.source.address.data(), b.data() + 8, 16);
  std::memcpy(packet.segment.destination.address.data(), b.data() + 24, 16);
  const std::size_t payload_length = load_be16(b.data() + 4);
  Bytes ip = clip_to_total(b, payload_length == 0 ? 0 : 40 + payload_length, packet);
  std::uint8_t next = b[6];
  std::size_t at = 40;
  for (int headers = 0; headers < 8 && is_walked_extension(next); ++headers) {
    if (at + 2 > ip.size()) return skip_packet(Skip::Malformed);
    const std::size_t length = (std::size_t(ip[at + 1]) + 1) * 8;
    next = ip[at];
    at += length;
    if (at > ip.size()) return skip_packet(Skip::Malformed);
  }
  if (next == kProtocolTcp) return parse_tcp(ip.subspan(at), packet);
  if (is_walked_extension(next) || is_other_extension(next))
    return skip_packet(Skip::Ipv6Extension);
  return skip_packet(Skip::NotTcp);
}

}  // namespace

std::string_view skip_name(Skip skip) {
  switch (skip) {
    case Skip::None:
      return "TCP segments";
    case Skip::NotIp:
      return "packets that are not IP";
    case Skip::Ipv4Fragment:
      return "IPv4 fragments";
    case Skip::Ipv6Extension:
      return "IPv6 packets with extension headers not read";
    case Skip::NotTcp:
      return "IP packets that are not TCP";
    case Skip::Malformed:
      return "malformed packets";
    case Skip::UnknownLinkType:
      return "packets of an unknown link type";
  }
  return "?";
}

bool is_ip_link_type(std::uint32_t link_type) {
  switch (link_type) {
    case link_type::kNull:
    case link_type::kEthernet:
    case link_type::kRaw:
    case link_type::kLinuxSll:
    case link_type::kIpv4:
    case link_type::kIpv6:
    case link_type::kLinuxSll2:
      return true;
    default:
      return false;
  }
}

ParsedPacket parse_packet(std::uint32_t link_type, std::span<const std::uint8_t> data) {
  const LinkPayload ip = strip_link(link_type, data);
  if (ip.skip != Skip::None) return skip_packet(ip.skip);
  return ip.network == Network::Ipv4 ? parse_ipv4(ip.bytes) : parse_ipv6(ip.bytes);
}

}  // namespace kite::capture
