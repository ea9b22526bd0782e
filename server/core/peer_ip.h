// A peer's IP address in 17 bytes (family + IPv4 or IPv6 bytes), kept binary on every connection
// and route and turned into text only when shown (logs, presence, per-IP admission): an idle
// connection should not carry two heap-capable strings for it.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>

#include "common/ip_address.h"

namespace kite::server {

class PeerIp {
 public:
  PeerIp() = default;
  // From a socket address (AF_INET or AF_INET6; anything else is unknown).
  static PeerIp from(const sockaddr* address);
  // From the canonical form: IPv4-mapped addresses are IPv4 (a PROXY header's client).
  static PeerIp from(const IpAddress& address);
  // "127.0.0.1", "::1"; "?" when unknown.
  std::string text() const;
  bool known() const { return family_ != 0; }
  // The canonical 16-byte form (common/ip_address.h), for address lists and per-IP counts.
  IpAddress address() const;
  bool operator==(const PeerIp&) const = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint8_t family_ = 0;  // 0 unknown, 4 or 6
};

}  // namespace kite::server
