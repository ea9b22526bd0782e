// The HTTP fallback's tunnels, for devices and browsers that cannot open a WebSocket
// (docs/protocol.md 1.2). Two ways down, one way up:
//  - a streamed tunnel: GET {path}/sse answers an event stream (sse_layer.h) on the connection
//    that carries the session, and lives as long as it;
//  - a polled tunnel, for proxies that hold a response back until it is complete: GET
//    {path}/poll opens it and each GET {path}/poll/{tunnel}?from={n} takes the session's bytes
//    from an offset on (core/poll_tunnel.h keeps them between polls);
//  - the uplink of either comes in POSTs ({path}/sse/{tunnel} or {path}/poll/{tunnel}, with
//    ?at={offset}) on other connections, maybe on other workers, and goes to the tunnel's.
//
// A tunnel's name is 32 hex digits: the id of the connection carrying its session (which names
// the worker holding it) and a random secret, so that only the client that opened it can use it.
#pragma once

#include <cstdint>
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

enum class TunnelKind : std::uint8_t { Stream, Poll };

// One POST's uplink bytes for a tunnel.
struct TunnelUplink {
  TunnelKind kind = TunnelKind::Stream;
  TunnelName tunnel;
  std::uint64_t offset = 0;  // of body[0] in the tunnel's uplink stream
  std::string body;
};

// What a POST or a poll is answered: 204 (a POST), 200 with the bytes (a poll), or a refusal
// that says what to do.
struct TunnelAnswer {
  int status = 204;
  std::string detail;
  std::uint32_t retry_after_s = 0;  // with 429
  std::string body;                 // a poll's bytes
};

// What the entry layer asks of the connection it entered: requests that reach beyond it.
class TunnelHost {
 public:
  virtual ~TunnelHost() = default;
  // A POST's bytes: sent to the tunnel's worker, answered later (TunnelReplyLayer::answer).
  virtual void route_uplink(TunnelUplink uplink) = 0;
  // GET {path}/poll: a new polled tunnel on this worker; nullopt if it could not be made.
  virtual std::optional<TunnelName> open_poll_tunnel() = 0;
  // GET {path}/poll/{tunnel}?from={n}: sent to the tunnel's worker, answered later.
  virtual void route_poll(TunnelName tunnel, std::uint64_t from) = 0;
};

// For `size` uplink bytes POSTed at `offset` into a stream that has `received` bytes: how many
// leading ones it already has (a POST sent again), or nullopt when bytes before `offset` never
// came (a hole Kite frames cannot survive). On success `received` covers all of them.
std::optional<std::size_t> take_uplink(std::uint64_t& received, std::uint64_t offset,
                                       std::size_t size);

inline constexpr std::size_t kMaxUplinkPost = 64 * 1024;  // bytes in one POST (docs/limits.md)
// A poll waits this long for bytes before it is answered empty (or three quarters of what is
// left of its connection's handshake deadline, if that is shorter: that connection is closed at
// the deadline, not being a session); a polled tunnel with no poll for kPollIdleMs ends (its client
// is gone); it holds at most kPollMaxHeld bytes for the client before the session stops being read
// (its flow control then holds the rest).
inline constexpr std::uint32_t kPollWaitMs = 20'000;
inline constexpr std::uint32_t kPollIdleMs = 30'000;
inline constexpr std::size_t kPollMaxHeld = 1024 * 1024;
// Polled tunnels one worker holds at once (each a socketpair: two file descriptors); above it,
// GET {path}/poll gets 503.
inline constexpr std::size_t kMaxPollTunnels = 4096;

}  // namespace kite::server::websocket
