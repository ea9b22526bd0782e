// Stream reassembly: turns the bytes of a connection, cut anywhere and coalesced in any way,
// into whole frames. No I/O: the caller feeds it whatever each read returned.
//
// Rules it keeps:
//  - a header is checked (length against the limit, flag bits) before any body byte is kept, so a
//    hostile length costs nothing;
//  - a frame that lies whole inside the fed chunk is returned in place, with no copy, when its
//    body is 8-byte aligned (see `read_offset_hint()`); only frames split across chunks are copied;
//  - the partial-frame buffer grows with the bytes that actually arrive, not with the announced
//    length, and keeps its capacity for small frames while reads keep ending inside a frame (no
//    allocation in steady state);
//  - an idle decoder holds only a pointer: the state for a split or misaligned frame lives in a
//    spill allocated when such a frame arrives, and freed once next() returns NeedMore at a frame
//    boundary (or on release_idle_memory() or an error), so an idle connection owns no heap memory;
//  - the first error is sticky: the stream cannot be trusted after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
  std::size_t buffered_bytes() const {
    return spill_ ? spill_->header_fill + spill_->body.size() : 0;
  }

  // Frees what is not in use: the whole spill when no frame is split and no frame returned from
  // it is still valid (for idle connections); while a frame is split, the buffers holding nothing.
  void release_idle_memory();

 private:
  // What a frame split across chunks, or a body that arrived misaligned, needs: its header bytes,
  // then its body, then padding to skip; and the copy of a misaligned body.
  struct Spill {
    std::uint8_t header_bytes[kHeaderSize] = {};
    std::size_t header_fill = 0;
    bool in_body = false;
    bool returned = false;  // the last next() returned a frame held here (body or realign)
    bool used = false;      // needed by the current chunk (see next())
    FrameHeader header;
    std::size_t padding_left = 0;
    AlignedBuffer body;     // body bytes received so far
    AlignedBuffer realign;  // copy of a body that arrived whole but misaligned

    bool splitting() const { return header_fill > 0 || in_body; }
  };

  DecodeResult fail(Reason reason);
  DecodeResult continue_partial();
  DecodeResult take_contiguous();
  Spill& spill();
  std::span<const std::uint8_t> consume(std::size_t n);
  std::span<const std::uint8_t> aligned_body(std::span<const std::uint8_t> body);

  std::uint32_t max_body_;
  Reason error_ = Reason::None;
  std::span<const std::uint8_t> input_;  // unread part of the fed chunk
  std::uint64_t stream_offset_ = 0;      // bytes consumed since the start of the stream
  std::unique_ptr<Spill> spill_;         // null unless a frame is split or was misaligned
};

}  // namespace kite::protocol
