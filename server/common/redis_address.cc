#include "common/redis_address.h"

#include <fmt/format.h>

#include <charconv>

namespace kite::server::common {

std::string RedisAddress::parse(std::string_view text, RedisAddress& out) {
  out = {};
  if (text.starts_with("unix:")) {
    out.unix_socket = true;
    out.host = std::string(text.substr(5));
    return out.host.empty() ? "a unix socket address needs a path: unix:/path/to/redis.sock" : "";
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return fmt::format("'{}' is not host:port or unix:/path", text);
  const std::string_view port = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (ec != std::errc() || end != port.data() + port.size() || out.port < 1 || out.port > 65535)
    return fmt::format("'{}' has no valid port (1-65535)", text);
  out.host = std::string(text.substr(0, colon));
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);  // [::1]:6379
  return {};
}

std::string RedisAddress::to_string() const {
  if (unix_socket) return "unix:" + host;
  // Brackets around an IPv6 address, and around any host that parse() would otherwise misread.
  const bool bracket = host.find_first_of(":[]") != std::string::npos;
  return bracket ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

}  // namespace kite::server::common
