// A TCP port for a test's server, shared by the unit and integration tests.
//
// Chosen below the kernel's ephemeral range (32768-60999 here): a port picked there can be taken,
// between this check and the server's bind, by any outgoing connection of a parallel test (seen
// with redis-sentinel), a port down here only by another test's own choice. The check binds the
// wildcard address, as redis-sentinel does.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <stdexcept>

namespace kite::test_support {

inline std::uint16_t free_port() {
  static thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 32767);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons(static_cast<std::uint16_t>(pick(random)));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (free) return ntohs(address.sin_port);
  }
  throw std::runtime_error("no free TCP port in 20000-32767");
}

}  // namespace kite::test_support
