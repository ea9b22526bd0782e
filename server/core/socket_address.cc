#include "core/socket_address.h"

#include <netinet/in.h>
#include <uv.h>

#include "config/endpoint.h"

namespace kite::server {

std::string resolve_endpoint(std::string_view text, SocketAddress& out) {
  auto endpoint = config::parse_endpoint(text);
  if (!endpoint) return "not a numeric host:port: " + std::string(text);
  int status;
  if (endpoint->ipv6) {
    status = uv_ip6_addr(endpoint->host.c_str(), endpoint->port,
                         reinterpret_cast<sockaddr_in6*>(&out.storage));
    out.length = sizeof(sockaddr_in6);
  } else {
    status = uv_ip4_addr(endpoint->host.c_str(), endpoint->port,
                         reinterpret_cast<sockaddr_in*>(&out.storage));
    out.length = sizeof(sockaddr_in);
  }
  if (status != 0) return "bad address " + std::string(text) + ": " + uv_strerror(status);
  return {};
}

}  // namespace kite::server
