// parse_packet: every link type a tcpdump capture of the Kite port may have (Ethernet with and
// without a VLAN tag, Linux cooked v1 and v2, BSD loopback in both byte orders, raw IP), IPv4
// with options, IPv6 through the extension headers it walks; and what it skips, and why.
#include <doctest/doctest.h>

#include "capture_builders.h"
#include "kite/capture/packet_parser.h"
#include "kite/capture/pcap_reader.h"

namespace kite::capture::test {
namespace {

Segment sample_segment(bool ipv6 = false) {
  Segment s;
  s.source = ipv6 ? v6_loopback(40001) : v4(10, 0, 0, 7, 40001);
  s.destination = ipv6 ? v6_loopback(7000) : v4(10, 0, 0, 1, 7000);
  s.seq = 0x01020304;
  s.ack = 0xa0b0c0d0;
  s.flags = kAck | kPsh;
  s.payload = bytes_of("kite bytes");
  return s;
}

void check_segment(const ParsedPacket& parsed, const Segment& expected) {
  REQUIRE(parsed.skip == Skip::None);
  const TcpSegment& s = parsed.segment;
  CHECK(s.source == expected.source);
  CHECK(s.destination == expected.destination);
  CHECK(s.seq == expected.seq);
  CHECK(s.ack == expected.ack);
  CHECK(s.flags == expected.flags);
  CHECK(Bytes(s.payload.begin(), s.payload.end()) == expected.payload);
  CHECK_FALSE(s.cut_short);
}

}  // namespace

TEST_CASE("packet: each link type carries IPv4 and IPv6 TCP segments") {
  for (bool ipv6 : {false, true}) {
    CAPTURE(ipv6);
    const Segment s = sample_segment(ipv6);
    const Bytes ip = ipv6 ? test::ipv6(s) : ipv4(s);
    const std::uint16_t ethertype = ipv6 ? 0x86dd : 0x0800;
    check_segment(parse_packet(link_type::kEthernet, ethernet(ethertype, ip)), s);
    check_segment(parse_packet(link_type::kEthernet, ethernet(ethertype, ip, 42)), s);
    check_segment(parse_packet(link_type::kLinuxSll, linux_sll(ethertype, ip)), s);
    check_segment(parse_packet(link_type::kLinuxSll2, linux_sll2(ethertype, ip)), s);
    check_segment(parse_packet(link_type::kRaw, ip), s);
    check_segment(parse_packet(ipv6 ? link_type::kIpv6 : link_type::kIpv4, ip), s);
    // BSD loopback: AF_INET is 2 everywhere; AF_INET6 differs between systems.
    for (bool big_endian : {false, true}) {
      CAPTURE(big_endian);
      for (std::uint32_t family :
           ipv6 ? std::vector<std::uint32_t>{10, 24, 28, 30} : std::vector<std::uint32_t>{2}) {
        CAPTURE(family);
        check_segment(parse_packet(link_type::kNull, bsd_null(family, big_endian, ip)), s);
      }
    }
    // The raw link types that name a version refuse the other one.
    CHECK(parse_packet(ipv6 ? link_type::kIpv4 : link_type::kIpv6, ip).skip == Skip::Malformed);
  }
}

TEST_CASE("packet: IPv4 options are skipped; Ethernet padding is not payload") {
  const Segment s = sample_segment();
  check_segment(parse_packet(link_type::kRaw, ipv4(s, {1, 1, 1, 0, 0x94, 4, 0, 0})), s);
  Bytes padded = ethernet(0x0800, ipv4(s));
  padded.resize(padded.size() + 6, 0);  // what a short Ethernet frame carries after the IP packet
  check_segment(parse_packet(link_type::kEthernet, padded), s);
}

TEST_CASE("packet: a segment cut by the snaplen yields what was captured, marked") {
  const Segment s = sample_segment();
  Bytes ip = ipv4(s);
  ip.resize(ip.size() - 4);
  const ParsedPacket parsed = parse_packet(link_type::kRaw, ip);
  REQUIRE(parsed.skip == Skip::None);
  CHECK(parsed.segment.cut_short);
  CHECK(Bytes(parsed.segment.payload.begin(), parsed.segment.payload.end()) == bytes_of("kite b"));
}

TEST_CASE("packet: IPv6 hop-by-hop, routing and destination options are walked; others skipped") {
  const Segment s = sample_segment(true);
  check_segment(parse_packet(link_type::kRaw, ipv6(s, {0, 43, 60})), s);
  CHECK(parse_packet(link_type::kRaw, ipv6(s, {44})).skip == Skip::Ipv6Extension);     // fragment
  CHECK(parse_packet(link_type::kRaw, ipv6(s, {0, 51})).skip == Skip::Ipv6Extension);  // AH
  Bytes udp = ipv6(s);
  udp[6] = 17;
  CHECK(parse_packet(link_type::kRaw, udp).skip == Skip::NotTcp);
}

TEST_CASE("packet: fragments, other protocols and other link payloads are skipped by reason") {
  const Segment s = sample_segment();
  CHECK(parse_packet(link_type::kRaw, ipv4(s, {}, 0x2000)).skip == Skip::Ipv4Fragment);  // MF
  CHECK(parse_packet(link_type::kRaw, ipv4(s, {}, 0x0010)).skip == Skip::Ipv4Fragment);  // offset
  CHECK(parse_packet(link_type::kRaw, ipv4(s, {}, 0x4000, 17)).skip == Skip::NotTcp);
  CHECK(parse_packet(link_type::kEthernet, ethernet(0x0806, bytes_of("arp..."))).skip ==
        Skip::NotIp);
  CHECK(parse_packet(link_type::kNull, bsd_null(7, false, ipv4(s))).skip == Skip::NotIp);
  CHECK(parse_packet(12345, ipv4(s)).skip == Skip::UnknownLinkType);
  CHECK_FALSE(is_ip_link_type(link_type::kKiteRecording));
  CHECK(is_ip_link_type(link_type::kLinuxSll2));
}

TEST_CASE("packet: every prefix of a packet is either parsed or skipped as malformed") {
  const Segment s = sample_segment(true);
  const Bytes whole = linux_sll2(0x86dd, ipv6(s, {0}));
  const std::size_t headers = 20 + 40 + 8 + 20;  // SLL2, IPv6, one extension, TCP
  for (std::size_t size = 0; size < whole.size(); ++size) {
    CAPTURE(size);
    const ParsedPacket parsed = parse_packet(link_type::kLinuxSll2, std::span(whole).first(size));
    if (size < headers) {
      CHECK(parsed.skip == Skip::Malformed);
    } else {
      REQUIRE(parsed.skip == Skip::None);
      CHECK(parsed.segment.payload.size() == size - headers);
      CHECK(parsed.segment.cut_short);
    }
  }
  // A TCP data offset pointing past the packet, an IPv4 header length below 20.
  Bytes bad_offset = ipv4(sample_segment());
  bad_offset[20 + 12] = 0xf0;  // 60-byte TCP header in a 30-byte segment
  CHECK(parse_packet(link_type::kRaw, bad_offset).skip == Skip::Malformed);
  Bytes bad_ihl = ipv4(sample_segment());
  bad_ihl[0] = 0x44;
  CHECK(parse_packet(link_type::kRaw, bad_ihl).skip == Skip::Malformed);
}

}  // namespace kite::capture::test
