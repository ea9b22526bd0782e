// RFC 6455 frames out: one whole frame per call, appended to the caller's buffer. A server's
// frames go unmasked; a client's are masked with a fresh random key each (RFC 6455 5.3), which
// costs a copy of the payload, as TLS does anyway.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kite/websocket/frame_reader.h"

namespace kite::websocket {

// Appends one final frame of `opcode` carrying `payload`; `side` is the writer's end.
void append_frame(Side side, Opcode opcode, std::span<const std::uint8_t> payload,
                  std::vector<std::uint8_t>& out);

// A Close frame with `code` and as much of `reason` as fits in 123 bytes (cut at a character).
void append_close(Side side, std::uint16_t code, std::string_view reason,
                  std::vector<std::uint8_t>& out);

}  // namespace kite::websocket
