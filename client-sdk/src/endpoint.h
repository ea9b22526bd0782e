// Where a client's connections go, read once from ClientOptions at start(): host and port (or a
// ws:// / wss:// url), TLS, the WebSocket path, and an HTTP proxy to tunnel through (CONNECT).
// Each problem is one sentence naming the option, for Client::start_error().
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kite/client.h"

namespace kite::sdk {

struct Endpoint {
  std::string host;  // kited's, as the TLS certificate and the WebSocket Host header name it
  std::uint16_t port = 0;
  bool tls = false;
  std::optional<std::string> websocket_path;  // set: over WebSocket, upgrading at this path
  // An HTTP proxy: dialled instead of kited, asked to CONNECT to host:port.
  std::string proxy_host;
  std::uint16_t proxy_port = 0;
  std::string proxy_authorization;  // "Basic ..." when the proxy URL has credentials

  bool proxied() const { return !proxy_host.empty(); }
  std::string host_and_port() const;  // "host:port" ("[v6]:port"), as HTTP wants it
};

// Fills `endpoint` from `options`; returns "" or what is wrong.
std::string read_endpoint(const ClientOptions& options, Endpoint& endpoint);

// The CONNECT request that asks a proxy for a tunnel to `endpoint`.
std::string connect_request(const Endpoint& endpoint);

}  // namespace kite::sdk
