// Listener addresses as written in the config: "host:port", with IPv6 hosts in brackets.
//
//   127.0.0.1:7000   0.0.0.0:7000   [::1]:7000   [::]:7000
//
// Hosts are numeric (no name lookup at start-up); port 0 asks the kernel for an ephemeral port,
// which tests use (the server logs the port it got).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::server::config {

struct Endpoint {
  std::string host;  // numeric address, without brackets
  std::uint16_t port = 0;
  bool ipv6 = false;

  bool is_loopback() const;  // 127.0.0.0/8 or ::1
};

// nullopt unless `text` is a numeric IPv4 host or bracketed IPv6 host, a colon and a port 0..65535.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace kite::server::config
