// Ping and Pong, the keep-alive's probes: a ping carries the sender's clock, the pong echoes it,
// and the difference is the round-trip time. The echo is the peer's to write: one that is not a
// time of ours up to now yields no measurement rather than an overflowed one.
#pragma once

#include <cstdint>
#include <optional>

#include "kite/protocol/receive_window.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

inline flatbuffers::Offset<wire::Ping> build_ping(flatbuffers::FlatBufferBuilder& b, Millis now) {
  return wire::CreatePing(b, static_cast<std::uint64_t>(now));
}

inline flatbuffers::Offset<wire::Pong> build_pong(flatbuffers::FlatBufferBuilder& b,
                                                  const wire::Ping& ping) {
  return wire::CreatePong(b, ping.token());
}

inline std::optional<Millis> round_trip(const wire::Pong& pong, Millis now) {
  const std::uint64_t sent_at = pong.token();
  if (now < 0 || sent_at > static_cast<std::uint64_t>(now)) return std::nullopt;
  return now - static_cast<Millis>(sent_at);
}

}  // namespace kite::protocol
