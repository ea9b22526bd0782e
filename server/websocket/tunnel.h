// The HTTP fallback's tunnel, for devices and browsers that cannot open a WebSocket: the downlink
// is an event stream (GET {path}/sse, sse_layer.h) on the connection that carries the session;
// the uplink comes in POSTs (POST {path}/sse/{tunnel}?at={offset}, tunnel_post.h) on other
// connections, maybe on other workers, and goes to that one. docs/protocol.md 1.2.
//
// A tunnel's name is 32 hex digits: its connection's id (which names the worker holding it) and
// a random secret, so that only the client that opened the stream can send into it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kite::server::websocket {

struct TunnelName {
  std::uint64_t connection = 0;
  std::uint64_t secret = 0;

  std::string text() const;
  static std::optional<TunnelName> parse(std::string_view text);
};

// One POST's uplink bytes for a tunnel.
struct TunnelUplink {
  TunnelName tunnel;
  std::uint64_t offset = 0;  // of body[0] in the tunnel's uplink stream
  std::string body;
};

// What the POST is answered: 204, or a refusal that says what to do.
struct TunnelAnswer {
  int status = 204;
  std::string detail;
  std::uint32_t retry_after_s = 0;  // with 429
};

// How the POST's connection hands the bytes on to the tunnel's worker (it answers later).
using UplinkRoute = std::function<void(TunnelUplink)>;

inline constexpr std::size_t kMaxUplinkPost = 64 * 1024;  // bytes in one POST (docs/limits.md)

}  // namespace kite::server::websocket
