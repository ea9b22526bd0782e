// [websocket]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection websocket_section() {
  return {"websocket",
          "WebSocket for devices and browsers (RFC 6455, subprotocol \"kite.v1\"): the same\n"
          "sessions as the device port, in binary messages, for networks that only let HTTP(S)\n"
          "through. The device port's allow/deny lists, per-address caps, handshake deadline\n"
          "and PROXY protocol settings apply to these listeners too.",
          {
              text("websocket", "listen", kWebSocket, &WebSocketConfig::listen,
                   "ws:// listener, \"host:port\"; empty = none. Changing it needs a restart."),
              text("websocket", "tls_listen", kWebSocket, &WebSocketConfig::tls_listen,
                   "wss:// listener, \"host:port\"; empty = none. Uses [tls]'s cert_file and\n"
                   "key_file (and its client certificate settings). Changing it needs a restart."),
              text("websocket", "path", kWebSocket, &WebSocketConfig::path,
                   "The path an upgrade request must name, e.g. \"/kite\" behind a reverse proxy\n"
                   "that forwards https://example.com/kite; other paths are answered 404."),
              list("websocket", "origins", kWebSocket, &WebSocketConfig::origins,
                   "Origin header values allowed to connect, e.g. [\"https://app.example.com\"];\n"
                   "empty = any. A request without Origin (a device, not a browser) is always\n"
                   "allowed: Origin only tells which web page a browser runs. Needs a restart."),
          }};
}

}  // namespace kite::server::config::fields
