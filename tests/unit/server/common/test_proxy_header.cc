// The PROXY header parser: the spec's v1 and v2 examples (IPv4, IPv6, UNKNOWN, LOCAL, TLVs),
// every malformed form we could think of, the bounds, and each header fed split at every byte.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/proxy_header.h"

using namespace kite::server;

namespace {

using Bytes = std::vector<std::uint8_t>;
using Status = ProxyHeaderParser::Status;

Bytes bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

ProxyEndpoint endpoint(std::string_view ip, std::uint16_t port) {
  return {*IpAddress::parse(ip), port};
}

// A v2 header: signature, ver/cmd, family, length, then `payload` as it is.
Bytes v2(std::uint8_t command, std::uint8_t family, const Bytes& payload) {
  Bytes out(kProxyV2Signature.begin(), kProxyV2Signature.end());
  out.push_back(command);
  out.push_back(family);
  out.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(payload.size() & 0xff));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// 192.0.2.7:51234 -> 198.51.100.1:7000, then `tlvs`.
Bytes v2_ipv4(const Bytes& tlvs = {}) {
  Bytes payload = {192, 0, 2, 7, 198, 51, 100, 1, 0xC8, 0x22, 0x1B, 0x58};
  payload.insert(payload.end(), tlvs.begin(), tlvs.end());
  return v2(0x21, 0x11, payload);
}

// 2001:db8::7:443 -> 2001:db8::1:7000.
Bytes v2_ipv6() {
  Bytes payload(36, 0);
  payload[0] = 0x20, payload[1] = 0x01, payload[2] = 0x0d, payload[3] = 0xb8, payload[15] = 7;
  payload[16] = 0x20, payload[17] = 0x01, payload[18] = 0x0d, payload[19] = 0xb8, payload[31] = 1;
  payload[32] = 0x01, payload[33] = 0xBB, payload[34] = 0x1B, payload[35] = 0x58;
  return v2(0x21, 0x21, payload);
}

struct Outcome {
  Status status = Status::NeedMore;
  std::size_t consumed = 0;  // over every feed
  ProxyHeader header;
};

// Feeds `input` cut at each offset of `cuts`, stopping at the first Done or Error.
Outcome feed_in_parts(const Bytes& input, const std::vector<std::size_t>& cuts,
                      ProxyVersions versions = ProxyVersions::any) {
  ProxyHeaderParser parser(versions);
  Outcome outcome;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    const auto result = parser.feed({input.data() + from, end - from});
    REQUIRE(result.consumed <= end - from);
    outcome.consumed += result.consumed;
    outcome.status = result.status;
    from = end;
    if (result.status != Status::NeedMore) break;
  }
  if (outcome.status == Status::Done) outcome.header = parser.header();
  return outcome;
}

Outcome feed_whole(const Bytes& input, ProxyVersions versions = ProxyVersions::any) {
  return feed_in_parts(input, {}, versions);
}

// Whole, split once at every byte, and a byte at a time: the same outcome every way.
void check_every_split(const Bytes& input) {
  const Outcome whole = feed_whole(input);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    const Outcome split = feed_in_parts(input, {cut});
    CAPTURE(cut);
    CHECK(split.status == whole.status);
    CHECK(split.consumed == whole.consumed);
    CHECK(split.header == whole.header);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  const Outcome bytewise = feed_in_parts(input, every);
  CHECK(bytewise.status == whole.status);
  CHECK(bytewise.header == whole.header);
}

}  // namespace

TEST_CASE("v1: the spec's TCP4 example names the client and the address it dialled") {
  const Bytes input = bytes_of("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /");
  const Outcome outcome = feed_whole(input);
  REQUIRE(outcome.status == Status::Done);
  CHECK(outcome.consumed == input.size() - 5);  // "GET /" is the client's
  CHECK(outcome.header.version == 1);
  CHECK(outcome.header.proxied);
  CHECK(outcome.header.source == endpoint("192.168.0.1", 56324));
  CHECK(outcome.header.destination == endpoint("192.168.0.11", 443));
  CHECK(outcome.header.size == outcome.consumed);
  check_every_split(input);
}

TEST_CASE("v1: TCP6, the longest address form, and UNKNOWN at the 107-byte bound") {
  const std::string longest =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  Outcome outcome = feed_whole(bytes_of(longest));
  REQUIRE(outcome.status == Status::Done);
  CHECK(outcome.header.source == endpoint("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535));
  check_every_split(bytes_of(longest));

  const std::string unknown =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
      "ffff 65535 65535\r\n";
  REQUIRE(unknown.size() == kMaxProxyV1Bytes);
  outcome = feed_whole(bytes_of(unknown));
  REQUIRE(outcome.status == Status::Done);
  CHECK_FALSE(outcome.header.proxied);  // keep the socket's own address
  CHECK(outcome.header.source == ProxyEndpoint{});
  check_every_split(bytes_of(unknown));

  outcome = feed_whole(bytes_of("PROXY UNKNOWN\r\n"));
  REQUIRE(outcome.status == Status::Done);
  CHECK_FALSE(outcome.header.proxied);
}

TEST_CASE("v1: one byte over 107 without a line end is refused at that byte") {
  const std::string too_long = "PROXY UNKNOWN " + std::string(kMaxProxyV1Bytes, 'a');
  ProxyHeaderParser parser(ProxyVersions::any);
  const auto result = parser.feed(bytes_of(too_long));
  CHECK(result.status == Status::Error);
  CHECK(result.consumed == kMaxProxyV1Bytes + 1);
}

TEST_CASE("v1: malformed lines are refused") {
  const char* cases[] = {
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n",       // LF without CR
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rX",      // CR without LF
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",         // a field missing
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 1\r\n",   // a field too many
      "PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n",    // two spaces
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n",    // a trailing space
      "PROXY TCP4 ::1 192.168.0.11 56324 443\r\n",             // IPv6 under TCP4
      "PROXY TCP6 192.168.0.1 ::1 56324 443\r\n",              // IPv4 under TCP6
      "PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n",   // not an address
      "PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n",     // port out of range
      "PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n",    // leading zero
      "PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n",        // a sign
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 +443\r\n",    // a sign
      "PROXY TCP4 host.example 192.168.0.11 56324 443\r\n",    // a name
      "PROXY UDP4 192.168.0.1 192.168.0.11 56324 443\r\n",     // not TCP
      "PROXY tcp4 192.168.0.1 192.168.0.11 56324 443\r\n",     // lower case
      "PROXY UNKNOWNX\r\n",                                    // not UNKNOWN
      "PROXY \r\n",                                            // nothing
      "PROXY TCP4\r\n",                                        // nothing after the protocol
      "PROXY  TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",    // two spaces after PROXY
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 4\t3\r\n",    // a control byte
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 4\3513\r\n",  // not ASCII (octal 351)
      "PROXYTCP4 192.168.0.1 192.168.0.11 56324 443\r\n",      // no space after PROXY
      "proxy TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",     // not the signature
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\r\n",   // CR CR LF
  };
  for (const char* text : cases) {
    CAPTURE(text);
    const Bytes input = bytes_of(text);
    CHECK(feed_whole(input).status == Status::Error);
    check_every_split(input);
  }
}

TEST_CASE("v1: a wrong signature byte is refused at once, without waiting for a line end") {
  ProxyHeaderParser parser(ProxyVersions::any);
  CHECK(parser.feed(bytes_of("PRO")).status == Status::NeedMore);
  const auto result = parser.feed(bytes_of("Z"));
  CHECK(result.status == Status::Error);
  CHECK(result.consumed == 1);
  ProxyHeaderParser kite_hello(ProxyVersions::any);
  CHECK(kite_hello.feed(Bytes{0x4B, 0x01, 0x00}).status == Status::Error);  // a client's bytes
}

TEST_CASE("v2: the IPv4 and IPv6 forms name the client; what follows is the client's") {
  Bytes input = v2_ipv4();
  input.push_back(0x16);  // a TLS ClientHello begins
  Outcome outcome = feed_whole(input);
  REQUIRE(outcome.status == Status::Done);
  CHECK(outcome.consumed == 16 + 12);
  CHECK(outcome.header.version == 2);
  CHECK(outcome.header.source == endpoint("192.0.2.7", 51234));
  CHECK(outcome.header.destination == endpoint("198.51.100.1", 7000));
  check_every_split(input);

  outcome = feed_whole(v2_ipv6());
  REQUIRE(outcome.status == Status::Done);
  CHECK(outcome.consumed == 16 + 36);
  CHECK(outcome.header.source == endpoint("2001:db8::7", 443));
  CHECK(outcome.header.destination == endpoint("2001:db8::1", 7000));
  check_every_split(v2_ipv6());
}

TEST_CASE("v2: LOCAL and UNSPEC keep the socket's address, whatever their payload") {
  for (const Bytes& input : {v2(0x20, 0x00, {}), v2(0x20, 0x11, Bytes(12, 9)), v2(0x21, 0x00, {}),
                             v2(0x21, 0x00, Bytes(5, 1))}) {
    const Outcome outcome = feed_whole(input);
    REQUIRE(outcome.status == Status::Done);
    CHECK_FALSE(outcome.header.proxied);
    CHECK(outcome.consumed == input.size());
    check_every_split(input);
  }
}

TEST_CASE("v2: TLVs are walked and skipped; one that overruns the header is refused") {
  // PP2_TYPE_ALPN "h2", PP2_TYPE_AUTHORITY "kite.example", PP2_TYPE_NOOP of 0 bytes.
  const Bytes tlvs = {0x01, 0x00, 0x02, 'h', '2', 0x02, 0x00, 0x0C, 'k',  'i',  't', 'e',
                      '.',  'e',  'x',  'a', 'm', 'p',  'l',  'e',  0x04, 0x00, 0x00};
  Outcome outcome = feed_whole(v2_ipv4(tlvs));
  REQUIRE(outcome.status == Status::Done);
  CHECK(outcome.header.source == endpoint("192.0.2.7", 51234));
  CHECK(outcome.consumed == 16 + 12 + tlvs.size());
  check_every_split(v2_ipv4(tlvs));

  CHECK(feed_whole(v2_ipv4({0x01, 0x00, 0x05, 'h', '2'})).status == Status::Error);  // overruns
  CHECK(feed_whole(v2_ipv4({0x01, 0x00})).status == Status::Error);  // a TLV header cut short
}

TEST_CASE("v2: malformed fixed parts are refused") {
  Bytes bad_signature = v2_ipv4();
  bad_signature[7] = 'q';
  Bytes version_1 = v2_ipv4();
  version_1[12] = 0x11;
  const std::vector<Bytes> cases = {
      bad_signature,
      version_1,
      v2(0x22, 0x11, Bytes(12, 0)),   // command 2
      v2(0x21, 0x12, Bytes(12, 0)),   // UDP over IPv4
      v2(0x21, 0x31, Bytes(216, 0)),  // a UNIX socket
      v2(0x21, 0x10, Bytes(12, 0)),   // IPv4, transport UNSPEC
      v2(0x21, 0x41, Bytes(12, 0)),   // an unknown family
      v2(0x21, 0x11, Bytes(11, 0)),   // too short for two IPv4 addresses and ports
      v2(0x21, 0x21, Bytes(35, 0)),   // too short for IPv6
  };
  for (const Bytes& input : cases) {
    CHECK(feed_whole(input).status == Status::Error);
    check_every_split(input);
  }
}

TEST_CASE("v2: a length over the bound is refused after the 16 fixed bytes, before buffering") {
  Bytes input = v2(0x21, 0x11, Bytes(kMaxProxyV2Payload + 1, 0));
  ProxyHeaderParser parser(ProxyVersions::v2);
  const auto result = parser.feed(input);
  CHECK(result.status == Status::Error);
  CHECK(result.consumed == kProxyV2FixedBytes);
  CHECK(parser.buffered() == kProxyV2FixedBytes);
  // At the bound, it is taken: one PP2_TYPE_NOOP TLV fills the rest.
  Bytes padding = {0x04, static_cast<std::uint8_t>((kMaxProxyV2Payload - 15) >> 8),
                   static_cast<std::uint8_t>((kMaxProxyV2Payload - 15) & 0xff)};
  padding.resize(kMaxProxyV2Payload - 12, 0);
  const Outcome outcome = feed_whole(v2_ipv4(padding));
  CHECK(outcome.status == Status::Done);
  CHECK(outcome.consumed == kMaxProxyHeaderBytes);
}

TEST_CASE("the configured versions: v1 only refuses v2, v2 only refuses v1, any takes both") {
  CHECK(feed_whole(v2_ipv4(), ProxyVersions::v1).status == Status::Error);
  CHECK(feed_whole(bytes_of("PROXY UNKNOWN\r\n"), ProxyVersions::v2).status == Status::Error);
  CHECK(feed_whole(v2_ipv4(), ProxyVersions::v2).status == Status::Done);
  CHECK(feed_whole(bytes_of("PROXY UNKNOWN\r\n"), ProxyVersions::v1).status == Status::Done);
}

TEST_CASE("after Done or Error the parser takes nothing more") {
  ProxyHeaderParser parser(ProxyVersions::any);
  const Bytes header = bytes_of("PROXY UNKNOWN\r\n");
  CHECK(parser.feed(header).status == Status::Done);
  const auto again = parser.feed(header);
  CHECK(again.status == Status::Done);
  CHECK(again.consumed == 0);
  ProxyHeaderParser refused(ProxyVersions::any);
  CHECK(refused.feed(bytes_of("X")).status == Status::Error);
  CHECK(refused.feed(header).consumed == 0);
}

TEST_CASE("an empty feed needs more") {
  ProxyHeaderParser parser(ProxyVersions::any);
  const auto result = parser.feed({});
  CHECK(result.status == Status::NeedMore);
  CHECK(result.consumed == 0);
}
