// "host:port" text (as the config writes it) to a socket address for bind().
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace kite::server {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// "" on success, else what is wrong with `text`.
std::string resolve_endpoint(std::string_view text, SocketAddress& out);

}  // namespace kite::server
