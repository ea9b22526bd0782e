#include "kite/websocket/frame_reader.h"

#include <algorithm>

#include "kite/protocol/utf8.h"

namespace kite::websocket {
namespace {

constexpr std::uint8_t kFin = 0x80, kReserved = 0x70, kOpcodeBits = 0x0F, kMasked = 0x80;
constexpr std::size_t kMaxControlPayload = 125;

bool is_control(Opcode opcode) {
  return static_cast<std::uint8_t>(opcode) >= 0x8;
}

bool known(std::uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

// Codes a peer may send in a Close frame (RFC 6455 7.4.1, 7.4.2).
bool sendable_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1011 && code != 1004 && code != 1005 && code != 1006;
}

// The header's size once its first two bytes are known.
std::size_t header_size(const std::array<std::uint8_t, 14>& head) {
  const std::uint8_t length = head[1] & 0x7F;
  std::size_t size = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0);
  return size + ((head[1] & kMasked) ? 4 : 0);
}

}  // namespace

std::optional<Fault> FrameReader::read(std::span<std::uint8_t> bytes, FrameSink& sink) {
  while (!fault_ && !closed_ && !bytes.empty()) {
    if (!in_payload_) {
      const std::size_t want = head_size_ < 2 ? 2 : header_size(head_);
      const std::size_t take = std::min(want - head_size_, bytes.size());
      std::copy_n(bytes.begin(), take, head_.begin() + head_size_);
      head_size_ = static_cast<std::uint8_t>(head_size_ + take);
      bytes = bytes.subspan(take);
      if (head_size_ == 2 && header_size(head_) > 2) continue;  // the extended length, the mask
      if (head_size_ < want) break;
      fault_ = start_frame(sink);
      continue;
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, bytes.size()));
    const auto piece = bytes.first(take);
    unmask(piece);
    bytes = bytes.subspan(take);
    left_ -= take;
    if (is_control(opcode_))
      control_.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    else if (!piece.empty())
      sink.on_binary(piece);
    if (left_ == 0) {
      in_payload_ = false;
      head_size_ = 0;
      if (is_control(opcode_)) fault_ = finish_control(sink);
    }
  }
  return fault_;
}

// The header is complete: its rules, then the payload (none for an empty frame).
std::optional<Fault> FrameReader::start_frame(FrameSink& sink) {
  const std::uint8_t first = head_[0], second = head_[1];
  if (first & kReserved) return Fault{close_code::kProtocolError, "reserved bits set"};
  const std::uint8_t code = first & kOpcodeBits;
  if (!known(code)) return Fault{close_code::kProtocolError, "unknown opcode"};
  const bool masked = (second & kMasked) != 0;
  if (side_ == Side::Server && !masked)
    return Fault{close_code::kProtocolError, "a client's frame must be masked"};
  if (side_ == Side::Client && masked)
    return Fault{close_code::kProtocolError, "a server's frame must not be masked"};
  opcode_ = static_cast<Opcode>(code);
  fin_ = (first & kFin) != 0;
  const std::uint8_t length = second & 0x7F;
  std::size_t at = 2;
  left_ = length;
  if (length == 126) {
    left_ = std::uint64_t{head_[2]} << 8 | head_[3];
    at = 4;
    if (left_ < 126) return Fault{close_code::kProtocolError, "length not in its shortest form"};
  } else if (length == 127) {
    left_ = 0;
    for (int i = 2; i < 10; ++i) left_ = left_ << 8 | head_[i];
    at = 10;
    if (left_ >> 63) return Fault{close_code::kProtocolError, "length above 2^63"};
    if (left_ <= 0xFFFF)
      return Fault{close_code::kProtocolError, "length not in its shortest form"};
  }
  if (masked) std::copy_n(head_.begin() + static_cast<std::ptrdiff_t>(at), 4, mask_.begin());
  mask_at_ = 0;
  if (is_control(opcode_)) {
    if (!fin_) return Fault{close_code::kProtocolError, "a fragmented control frame"};
    if (left_ > kMaxControlPayload)
      return Fault{close_code::kProtocolError, "a control frame above 125 bytes"};
    control_.clear();
  } else if (opcode_ == Opcode::Text) {
    return Fault{close_code::kUnsupportedData, "text messages are not accepted: send binary"};
  } else if (opcode_ == Opcode::Continuation && !in_message_) {
    return Fault{close_code::kProtocolError, "a continuation frame outside a message"};
  } else if (opcode_ == Opcode::Binary && in_message_) {
    return Fault{close_code::kProtocolError, "a new message before the last one's final frame"};
  } else {
    in_message_ = !fin_;
  }
  in_payload_ = true;
  if (left_ == 0) {  // nothing to wait for
    in_payload_ = false;
    head_size_ = 0;
    if (is_control(opcode_)) return finish_control(sink);
  }
  return std::nullopt;
}

std::optional<Fault> FrameReader::finish_control(FrameSink& sink) {
  const auto payload =
      std::span(reinterpret_cast<const std::uint8_t*>(control_.data()), control_.size());
  if (opcode_ == Opcode::Ping) {
    sink.on_ping(payload);
  } else if (opcode_ == Opcode::Pong) {
    sink.on_pong(payload);
  } else {
    if (control_.empty()) {
      closed_ = true;
      sink.on_close(1005, {});
    } else {
      if (control_.size() < 2) return Fault{close_code::kProtocolError, "a one-byte close payload"};
      const auto code = static_cast<std::uint16_t>(payload[0] << 8 | payload[1]);
      const std::string_view reason = std::string_view(control_).substr(2);
      if (!sendable_close_code(code)) return Fault{close_code::kProtocolError, "a bad close code"};
      if (!protocol::is_utf8(reason))
        return Fault{close_code::kInvalidPayload, "a close reason that is not UTF-8"};
      closed_ = true;
      sink.on_close(code, reason);
    }
  }
  std::string().swap(control_);  // an idle connection holds no control buffer
  return std::nullopt;
}

void FrameReader::unmask(std::span<std::uint8_t> bytes) {
  if (side_ == Side::Client) return;  // a server's frames are not masked
  for (std::uint8_t& byte : bytes) {
    byte ^= mask_[mask_at_];
    mask_at_ = static_cast<std::uint8_t>((mask_at_ + 1) & 3);
  }
}

}  // namespace kite::websocket
