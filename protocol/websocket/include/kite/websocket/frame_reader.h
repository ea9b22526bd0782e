// RFC 6455 frames in, the binary payload out, as a stream: sans-IO, incremental, and without a
// message buffer. Kite frames carry their own lengths, so a WebSocket message's boundaries mean
// nothing to the session: each binary payload byte is handed on as soon as it is unmasked (in
// place, in the caller's buffer). Only a control frame's payload (at most 125 bytes) is held.
//
// Rules it keeps (each break is a Fault with the close code to send, and is sticky):
//  - a client's frames are masked and a server's are not (1002);
//  - no reserved bits (no extension is negotiated), no unknown opcode (1002);
//  - text messages are refused (1003): Kite frames are binary;
//  - fragmentation as RFC 6455 allows it: continuations only inside a message, no new message
//    before its last fragment, control frames never fragmented and at most 125 bytes (1002);
//  - lengths in their shortest form, and below 2^63 (1002);
//  - a Close frame's payload is empty, or a valid code and UTF-8 text (1002, 1007).
// Any split of the input gives the same payload bytes and the same events.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kite::websocket {

enum class Opcode : std::uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// Close codes of RFC 6455 section 7.4 that Kite sends; Kite reasons go as 4000 + reason.
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kInvalidPayload = 1007;
inline constexpr std::uint16_t kKiteReasonBase = 4000;
}  // namespace close_code

// What the reader hands on.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void on_binary(std::span<std::uint8_t> payload) = 0;  // a piece, in order, unmasked
  virtual void on_ping(std::span<const std::uint8_t> payload) = 0;
  virtual void on_pong(std::span<const std::uint8_t> /*payload*/) {}
  // A Close frame: `code` is 1005 (none given) when its payload was empty.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

struct Fault {
  std::uint16_t code = close_code::kProtocolError;
  std::string_view detail;  // static text: what rule the peer broke
};

enum class Side : std::uint8_t { Server, Client };  // which end reads

class FrameReader {
 public:
  explicit FrameReader(Side side) : side_(side) {}

  // Reads `bytes` (unmasking them in place) and hands on what they complete. Stops at the first
  // fault, and at a Close frame: bytes after one are ignored.
  std::optional<Fault> read(std::span<std::uint8_t> bytes, FrameSink& sink);
  bool closed() const { return closed_; }

 private:
  std::optional<Fault> start_frame(FrameSink& sink);
  std::optional<Fault> finish_control(FrameSink& sink);
  void unmask(std::span<std::uint8_t> bytes);

  Side side_;
  bool closed_ = false;
  bool in_message_ = false;  // a fragmented binary message awaits its last fragment
  bool fin_ = false;
  bool in_payload_ = false;  // the header is complete: left_ payload bytes to come
  Opcode opcode_ = Opcode::Binary;
  std::uint8_t head_size_ = 0;  // bytes of the current frame's header read so far
  std::uint8_t mask_at_ = 0;    // position in mask_ of the next payload byte
  std::array<std::uint8_t, 14> head_{};
  std::array<std::uint8_t, 4> mask_{};
  std::uint64_t left_ = 0;  // payload bytes of the current frame still to come
  std::optional<Fault> fault_;
  std::string control_;  // a control frame's payload, while it arrives
};

}  // namespace kite::websocket
