// What a body file's check returns, and the one check several messages share.
//
// Body files (hello_body.h, welcome_body.h, ...) only say why a received message is refused; the
// session alone acts on it (Session::fail), so that every state change stays in session.cc. A
// refusal's reason is what the session closes with, its message what the peer is told.
#pragma once

#include <cstdint>
#include <string_view>

#include "kite/protocol/limits.h"
#include "kite/protocol/reason.h"

namespace kite::protocol {

struct Refusal {
  Reason reason = Reason::None;
  std::string_view message;  // a literal: it outlives the frame it is about
  explicit operator bool() const { return reason != Reason::None; }
};

// A sequence number a peer announced (in a hello or a welcome): above 2^63 - 1, arithmetic on it
// could wrap.
inline Refusal check_announced_seq(std::uint64_t seq) {
  if (seq > limits::kMaxSeq) return {Reason::InvalidSequence, "sequence above 2^63 - 1"};
  return {};
}

}  // namespace kite::protocol
