// Which connection an event belongs to. A Kite recording names its connections with kited's
// connection id (unique within one kited process); a tcpdump capture with the TCP 4-tuple, and
// a number that tells apart connections that reused the same ports.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace kite::capture {

struct Endpoint {
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  bool ipv6 = false;
  std::uint16_t port = 0;

  auto operator<=>(const Endpoint&) const = default;
  bool empty() const { return *this == Endpoint{}; }
  // "IP:port", "[IPv6]:port": the form kited records peers in.
  std::string text() const;
};

struct ConnectionKey {
  // Recordings: which kited process the connection ids come from. Inputs get 0 unless the caller
  // says otherwise: a process's per-worker and rotated files share one id space.
  std::uint32_t origin = 0;
  // Recordings: kited's connection id. TCP captures: the connection's number in the capture
  // (1, 2, ... in the order they were first seen), so a 4-tuple used twice is two connections.
  std::uint64_t id = 0;
  // TCP captures only: the device's end and kited's end. Empty for recordings.
  Endpoint client, server;

  auto operator<=>(const ConnectionKey&) const = default;
  bool from_tcp() const { return !server.empty(); }
  // "#42" (recording; "#2.42" for origin 2) or "tcp#3" (TCP capture).
  std::string text() const;
};

}  // namespace kite::capture
