// What the parts of Client::Impl share about its TCP connection: the Link (one connection, with
// its wire pipe) and a write in flight.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

#include "client_impl.h"
#include "kite/tls/wire_pipe.h"
#include "kite/websocket/client_opening.h"
#include "kite/websocket/response_head.h"

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
  // Plain TCP, or with TLS ciphertext on the socket and the session's frames inside (the
  // channel made once TCP connects).
  tls::WirePipe wire;
  // Through an HTTP proxy: its answer to CONNECT, until it came (then the wire is opened).
  std::unique_ptr<websocket::ResponseHead> proxy_answer;
  tls::TlsChannel* tls() { return wire.channel(); }
};

struct Client::Impl::WriteRequest {
  uv_write_t request{};
  std::vector<std::uint8_t> data;
};

}  // namespace kite
