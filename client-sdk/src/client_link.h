// What the parts of Client::Impl share about its TCP connection: the Link (one socket), a write
// in flight, and a name being resolved.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

#include "client_impl.h"

namespace kite {

// One TCP connection. Freed by libuv's close callback, never before: the handle outlives
// whatever the client does with it.
struct Client::Impl::Link {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_shutdown_t shutdown{};
  Impl* impl = nullptr;
  bool connected = false;
  bool closing = false;
};

struct Client::Impl::WriteRequest {
  uv_write_t request{};
  Link* link = nullptr;
  std::vector<std::uint8_t> data;
};

struct Client::Impl::Resolve {
  uv_getaddrinfo_t request{};
  Impl* impl = nullptr;
  std::uint64_t dial = 0;
};

}  // namespace kite
