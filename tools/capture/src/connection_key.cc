#include "kite/capture/connection_key.h"

#include <arpa/inet.h>

namespace kite::capture {

std::string Endpoint::text() const {
  char address_text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), address_text, sizeof address_text);
  const std::string port_text = ":" + std::to_string(port);
  return ipv6 ? "[" + std::string(address_text) + "]" + port_text : address_text + port_text;
}

std::string ConnectionKey::text() const {
  if (from_tcp()) return "tcp#" + std::to_string(id);
  if (origin != 0) return "#" + std::to_string(origin) + "." + std::to_string(id);
  return "#" + std::to_string(id);
}

}  // namespace kite::capture
