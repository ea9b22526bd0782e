// Where a Redis server listens, as the configuration spells it: "host:port", "[v6]:port" or
// "unix:/path/to/socket".
#pragma once

#include <string>
#include <string_view>

namespace kite::server::common {

// Where a Redis server listens: "host:port" or "unix:/path/to/socket".
struct RedisAddress {
  std::string host;  // or the socket path when unix
  int port = 6379;
  bool unix_socket = false;

  // "" when `text` names an address, else why not.
  static std::string parse(std::string_view text, RedisAddress& out);
  std::string to_string() const;
};

}  // namespace kite::server::common
