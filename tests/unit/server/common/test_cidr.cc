// CIDR blocks and IP addresses: IPv4, IPv6, IPv4-mapped IPv6, the edges /0 /32 /128, and every
// kind of bad input with its message.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/cidr.h"

using namespace kite::server;

namespace {

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  REQUIRE(parsed);
  return *parsed;
}

CidrBlock block(std::string_view text) {
  auto parsed = parse_cidr(text);
  INFO(text << ": " << parsed.error);
  REQUIRE(parsed.block);
  return *parsed.block;
}

std::string error_of(std::string_view text) {
  auto parsed = parse_cidr(text);
  CHECK_FALSE(parsed.block);
  return parsed.error;
}

}  // namespace

TEST_CASE("addresses: IPv4 is kept in mapped form, so both spellings are one address") {
  CHECK(ip("10.1.2.3") == ip("::ffff:10.1.2.3"));
  CHECK(ip("10.1.2.3").is_v4());
  CHECK_FALSE(ip("::1").is_v4());
  CHECK(ip("::ffff:10.1.2.3").text() == "10.1.2.3");
  CHECK(ip("2001:DB8::1").text() == "2001:db8::1");
  for (const char* bad : {"", "10.1.2", "10.1.2.256", "1.2.3.4.5", "fe80::1%eth0", " 10.0.0.1",
                          "localhost", "::g", "10.0.0.01"})
    CHECK_FALSE(IpAddress::parse(bad));
  CHECK_FALSE(IpAddress::parse(std::string(100, '1')));
}

TEST_CASE("addresses from socket addresses: IPv4, IPv6, and an unknown family as ::") {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ::inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
  CHECK(IpAddress::from(reinterpret_cast<sockaddr*>(&v4)) == ip("192.0.2.7"));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "::ffff:192.0.2.7", &v6.sin6_addr);
  CHECK(IpAddress::from(reinterpret_cast<sockaddr*>(&v6)) == ip("192.0.2.7"));
  ::inet_pton(AF_INET6, "2001:db8::5", &v6.sin6_addr);
  CHECK(IpAddress::from(reinterpret_cast<sockaddr*>(&v6)) == ip("2001:db8::5"));
  sockaddr other{};
  other.sa_family = AF_UNIX;
  CHECK(IpAddress::from(&other) == ip("::"));
}

TEST_CASE("IPv4 blocks match their addresses, also when the peer is IPv4-mapped IPv6") {
  CidrBlock ten = block("10.0.0.0/8");
  CHECK(ten.v4);
  CHECK(ten.text() == "10.0.0.0/8");
  CHECK(ten.contains(ip("10.0.0.0")));
  CHECK(ten.contains(ip("10.255.255.255")));
  CHECK(ten.contains(ip("::ffff:10.9.8.7")));
  CHECK_FALSE(ten.contains(ip("11.0.0.0")));
  CHECK_FALSE(ten.contains(ip("9.255.255.255")));
  // Not on a byte boundary.
  CidrBlock odd = block("192.168.4.0/22");
  CHECK(odd.contains(ip("192.168.7.255")));
  CHECK_FALSE(odd.contains(ip("192.168.8.0")));
  CHECK_FALSE(odd.contains(ip("192.168.3.255")));
}

TEST_CASE("the edges: /0, /32, bare addresses, /128") {
  CidrBlock all_v4 = block("0.0.0.0/0");
  CHECK(all_v4.contains(ip("1.2.3.4")));
  CHECK(all_v4.contains(ip("255.255.255.255")));
  CHECK_FALSE(all_v4.contains(ip("::1")));  // IPv4 blocks are for IPv4 peers only
  CidrBlock all_v6 = block("::/0");
  CHECK(all_v6.contains(ip("::1")));
  CHECK(all_v6.contains(ip("2001:db8::1")));
  CHECK_FALSE(all_v6.contains(ip("1.2.3.4")));  // nor do IPv6 blocks take IPv4 peers

  CHECK(block("127.0.0.2") == block("127.0.0.2/32"));
  CidrBlock one = block("127.0.0.2/32");
  CHECK(one.contains(ip("127.0.0.2")));
  CHECK_FALSE(one.contains(ip("127.0.0.1")));
  CHECK_FALSE(one.contains(ip("127.0.0.3")));

  CHECK(block("::1") == block("::1/128"));
  CidrBlock loopback = block("::1/128");
  CHECK(loopback.contains(ip("::1")));
  CHECK_FALSE(loopback.contains(ip("::2")));
  CHECK_FALSE(loopback.contains(ip("::")));
}

TEST_CASE("IPv6 blocks") {
  CidrBlock doc = block("2001:db8::/32");
  CHECK_FALSE(doc.v4);
  CHECK(doc.text() == "2001:db8::/32");
  CHECK(doc.contains(ip("2001:db8:ffff:ffff::1")));
  CHECK_FALSE(doc.contains(ip("2001:db9::1")));
  CidrBlock site = block("2001:db8:0:80::/57");
  CHECK(site.contains(ip("2001:db8:0:ff::1")));
  CHECK_FALSE(site.contains(ip("2001:db8:0:7f::1")));
}

TEST_CASE("a block written in IPv4-mapped form is the IPv4 block it stands for") {
  CHECK(block("::ffff:10.0.0.0/104") == block("10.0.0.0/8"));
  CHECK(block("::ffff:10.0.0.0/104").text() == "10.0.0.0/8");
  CHECK(block("::ffff:0:0/96") == block("0.0.0.0/0"));
  CHECK(block("::ffff:192.0.2.1") == block("192.0.2.1/32"));
}

TEST_CASE("bad blocks say what is wrong") {
  CHECK(error_of("") == "expected an address or address/prefix, got an empty string");
  CHECK(error_of("10.0.0.0/33") == "prefix length above 32");
  CHECK(error_of("::/129") == "prefix length above 128");
  CHECK(error_of("::ffff:10.0.0.0/129") == "prefix length above 128");
  CHECK(error_of("10.0.0.0/") == "the prefix length after '/' is not a number");
  CHECK(error_of("10.0.0.0/-1") == "the prefix length after '/' is not a number");
  CHECK(error_of("10.0.0.0/8/8") == "the prefix length after '/' is not a number");
  CHECK(error_of("10.0.0.0/1000") == "the prefix length after '/' is not a number");
  CHECK(error_of("10.0.0.0/ 8") == "the prefix length after '/' is not a number");
  CHECK(error_of("example.com/8") == "not a numeric IPv4 or IPv6 address");
  CHECK(error_of("10.0.0/8") == "not a numeric IPv4 or IPv6 address");
  CHECK(error_of("fe80::1%eth0/64") == "not a numeric IPv4 or IPv6 address");
  CHECK(error_of("/8") == "not a numeric IPv4 or IPv6 address");
  CHECK(error_of("10.1.0.0/8") ==
        "host bits are set below the prefix length (did you mean 10.0.0.0/8?)");
  CHECK(error_of("2001:db8::1/32") ==
        "host bits are set below the prefix length (did you mean 2001:db8::/32?)");
}
