#include "kite/capture/connection_key.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace kite::capture {

// Built with fmt rather than `"literal" + std::to_string(...)`: GCC 12 at -O3 warns about
// that pattern (-Wrestrict, a false positive, GCC bug 105329), which fails a -Werror Release build.
std::string Endpoint::text() const {
  char address_text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), address_text, sizeof address_text);
  return ipv6 ? fmt::format("[{}]:{}", address_text, port)
              : fmt::format("{}:{}", address_text, port);
}

std::string ConnectionKey::text() const {
  if (from_tcp()) return fmt::format("tcp#{}", id);
  if (origin != 0) return fmt::format("#{}.{}", origin, id);
  return fmt::format("#{}", id);
}

}  // namespace kite::capture
