#include "kite/websocket/frame_writer.h"

#include <array>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/utf8.h"

namespace kite::websocket {

void append_frame(Side side, Opcode opcode, std::span<const std::uint8_t> payload,
                  std::vector<std::uint8_t>& out) {
  const std::uint8_t mask_bit = side == Side::Client ? 0x80 : 0x00;
  out.push_back(static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)));
  const std::uint64_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<std::uint8_t>(mask_bit | size));
  } else if (size <= 0xFFFF) {
    out.push_back(mask_bit | 126);
    out.push_back(static_cast<std::uint8_t>(size >> 8));
    out.push_back(static_cast<std::uint8_t>(size));
  } else {
    out.push_back(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(size >> shift));
  }
  if (side == Side::Server) {
    out.insert(out.end(), payload.begin(), payload.end());
    return;
  }
  std::array<std::uint8_t, 4> mask{};
  protocol::random_bytes(mask);
  out.insert(out.end(), mask.begin(), mask.end());
  const std::size_t at = out.size();
  out.resize(at + payload.size());
  for (std::size_t i = 0; i < payload.size(); ++i) out[at + i] = payload[i] ^ mask[i & 3];
}

void append_close(Side side, std::uint16_t code, std::string_view reason,
                  std::vector<std::uint8_t>& out) {
  std::size_t keep = 0;  // whole characters only, up to 123 bytes
  while (keep < reason.size()) {
    const std::size_t next = protocol::utf8_sequence_length(reason, keep);
    if (next == 0 || keep + next > 123) break;
    keep += next;
  }
  std::vector<std::uint8_t> payload{static_cast<std::uint8_t>(code >> 8),
                                    static_cast<std::uint8_t>(code)};
  payload.insert(payload.end(), reason.begin(), reason.begin() + static_cast<std::ptrdiff_t>(keep));
  append_frame(side, Opcode::Close, payload, out);
}

}  // namespace kite::websocket
