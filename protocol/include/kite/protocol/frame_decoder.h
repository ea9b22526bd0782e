// Stream reassembly: turns the bytes of a connection, cut anywhere and coalesced in any way,
// into whole frames. No I/O: the caller feeds it whatever each read returned.
//
// Rules it keeps:
//  - a header is checked (length against the limit, flag bits) before any body byte is kept, so a
//    hostile length costs nothing;
//  - a frame that lies whole inside the fed chunk is returned in place, with no copy, when its
//    body is 8-byte aligned (see `read_offset_hint()`); only frames split across chunks are copied;
//  - the partial-frame buffer grows with the bytes that actually arrive, not with the announced
//    length, and keeps its capacity for small frames (no allocation in steady state);
//  - the first error is sticky: the stream cannot be trusted after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kite/protocol/aligned_buffer.h"
#include "kite/protocol/frame_header.h"

namespace kite::protocol {

struct RawFrame {
  FrameHeader header;
  std::span<const std::uint8_t> body;  // `header.length` bytes, 8-byte aligned, padding stripped
};

struct DecodeResult {
  enum class Status { NeedMore, Frame, Error };
  Status status = Status::NeedMore;
  RawFrame frame;               // when status == Frame
  Reason error = Reason::None;  // when status == Error
};

class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_body = kDefaultMaxBody) : max_body_(max_body) {}

  // The largest body accepted from now on (raised after the handshake).
  void set_max_body(std::uint32_t max_body) { max_body_ = max_body; }
  std::uint32_t max_body() const { return max_body_; }

  // Hands over the next bytes of the stream. They must stay valid until next() has returned
  // NeedMore (or Error): call next() until then before feeding again.
  void feed(std::span<const std::uint8_t> chunk);

  // The next whole frame, NeedMore, or the sticky Error. A returned body stays valid until the
  // next call to next() or feed().
  DecodeResult next();

  // At end of stream: Reason::TruncatedFrame if the peer stopped inside a frame.
  Reason finish() const;

  // Offset (0..7) at which to place the next read's bytes in an 8-aligned buffer so that the
  // frames in it come out aligned and are returned without a copy.
  std::size_t read_offset_hint() const { return stream_offset_ % kFrameAlignment; }

  // Bytes held for a frame split across chunks (what this connection costs between reads).
  std::size_t buffered_bytes() const { return header_fill_ + partial_.size(); }

  // Frees the partial-frame buffer if it holds nothing (for idle connections).
  void release_idle_memory();

 private:
  DecodeResult fail(Reason reason);
  DecodeResult continue_partial();
  DecodeResult take_contiguous();
  std::span<const std::uint8_t> consume(std::size_t n);
  std::span<const std::uint8_t> aligned_body(std::span<const std::uint8_t> body);

  std::uint32_t max_body_;
  Reason error_ = Reason::None;
  std::span<const std::uint8_t> input_;  // unread part of the fed chunk
  std::uint64_t stream_offset_ = 0;      // bytes consumed since the start of the stream

  // A frame split across chunks: its header bytes, then its body, then padding to skip.
  std::uint8_t header_bytes_[kHeaderSize] = {};
  std::size_t header_fill_ = 0;
  bool in_body_ = false;
  FrameHeader partial_header_;
  AlignedBuffer partial_;  // body bytes received so far
  std::size_t padding_left_ = 0;
  bool partial_ready_ = false;  // partial_ holds a frame returned by the last next()

  AlignedBuffer realign_;  // copy of a body that arrived whole but misaligned
};

}  // namespace kite::protocol
