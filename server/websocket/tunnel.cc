#include "websocket/tunnel.h"

#include <charconv>
#include <cstdio>

namespace kite::server::websocket {

std::string TunnelName::text() const {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(connection),
                static_cast<unsigned long long>(secret));
  return text;
}

std::optional<TunnelName> TunnelName::parse(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  TunnelName name;
  for (auto [part, into] : {std::pair{text.substr(0, 16), &name.connection},
                            std::pair{text.substr(16), &name.secret}}) {
    auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), *into, 16);
    if (error != std::errc() || end != part.data() + part.size()) return std::nullopt;
  }
  return name;
}

std::optional<std::size_t> take_uplink(std::uint64_t& received, std::uint64_t offset,
                                       std::size_t size) {
  if (offset > received) return std::nullopt;
  const std::uint64_t known = received - offset;
  if (known >= size) return size;
  received = offset + size;
  return static_cast<std::size_t>(known);
}

}  // namespace kite::server::websocket
