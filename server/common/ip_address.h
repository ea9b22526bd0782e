// An IP address in one canonical 16-byte form: IPv6 as it is, IPv4 as the IPv4-mapped IPv6
// address ::ffff:a.b.c.d. A dual-stack socket reports IPv4 peers in that mapped form anyway, so
// giving both spellings the same bytes lets network rules and per-IP counts see one address
// whichever way the peer arrived.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::server {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // network byte order; all zero (::) when unknown

  // Numeric text only, no name lookup and no zone ("%eth0"): "10.0.0.1", "::1",
  // "::ffff:10.0.0.1". IPv4 must be four decimal parts (inet_pton rules).
  static std::optional<IpAddress> parse(std::string_view text);
  // From a socket address; any family but AF_INET and AF_INET6 gives :: (which no TCP peer has).
  static IpAddress from(const sockaddr* address);

  bool is_v4() const;  // in ::ffff:0:0/96
  // What per-source counts and limits key on: the IPv4 address itself, or the IPv6 /64 (one
  // site gets at least a /64, so a host could otherwise take a new address per connection).
  IpAddress source() const;
  std::string text() const;  // dotted quad for IPv4, RFC 5952 text for IPv6
  bool operator==(const IpAddress&) const = default;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& ip) const noexcept;
};

}  // namespace kite::server
