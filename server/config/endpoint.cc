#include "config/endpoint.h"

#include <arpa/inet.h>

#include <charconv>

namespace kite::server::config {

bool Endpoint::is_loopback() const {
  if (ipv6) {
    in6_addr address{};
    return inet_pton(AF_INET6, host.c_str(), &address) == 1 && IN6_IS_ADDR_LOOPBACK(&address);
  }
  return host.starts_with("127.");
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);

  Endpoint endpoint;
  endpoint.ipv6 = host.starts_with('[') && host.ends_with(']');
  if (endpoint.ipv6) host = host.substr(1, host.size() - 2);
  endpoint.host = std::string(host);

  unsigned char address[sizeof(in6_addr)];
  int family = endpoint.ipv6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, endpoint.host.c_str(), address) != 1) return std::nullopt;

  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

}  // namespace kite::server::config
