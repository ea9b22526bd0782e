// CIDR blocks as written in the config: "10.0.0.0/8", "2001:db8::/32", or a bare address
// (= /32 for IPv4, /128 for IPv6).
//
// Rules:
//  - An IPv4 block matches IPv4 peers only, an IPv6 block IPv6 peers only; IPv4-mapped peers
//    (::ffff:a.b.c.d) are IPv4. So "::/0" is every IPv6 address, not every address. A block
//    written in mapped form ("::ffff:10.0.0.0/104") is the IPv4 block it stands for (10.0.0.0/8).
//  - Strict: host bits set below the prefix ("10.1.0.0/8") are an error that suggests the
//    block meant, not silently masked; so are a prefix above 32 (IPv4) or 128 (IPv6), zones
//    ("fe80::1%eth0"), spaces and names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"

namespace kite::server {

struct CidrBlock {
  IpAddress network;        // host bits zero
  std::uint8_t prefix = 0;  // leading bits that must match, counted in the 128-bit form
  bool v4 = false;          // written as (or standing for) an IPv4 block

  bool contains(const IpAddress& ip) const;
  std::string text() const;  // "10.0.0.0/8", "2001:db8::/32"
  bool operator==(const CidrBlock&) const = default;
};

struct CidrParse {
  std::optional<CidrBlock> block;
  std::string error;  // when there is no block: what is wrong, without echoing the input
};

CidrParse parse_cidr(std::string_view text);

}  // namespace kite::server
