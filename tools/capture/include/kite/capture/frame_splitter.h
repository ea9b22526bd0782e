// Cuts one direction's byte stream into whole Kite frames, header, body and padding together,
// each with its offset in the stream.
//
//   consumed            read_          buffer_.size()
//   |<-- handed out -->|<-- a frame not yet whole -->|
//
// Rules it keeps:
//  - a header is checked with protocol::read_header (length up to kAbsoluteMaxBody, known flags)
//    as soon as its 8 bytes are in, before any of its body is kept, so a hostile length costs
//    nothing; a bad header is a sticky error at that header's stream offset;
//  - the buffer holds at most one partial frame plus the last chunk fed: it grows with the
//    bytes that arrive, never with the length a header announces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kite/protocol/frame_header.h"
#include "kite/protocol/reason.h"

namespace kite::capture {

struct SplitResult {
  enum class Status { NeedMore, Frame, Error };
  Status status = Status::NeedMore;
  // Frame: the whole frame (valid until the next feed() or next()).
  std::span<const std::uint8_t> frame;
  protocol::FrameHeader header;  // Frame, and Error with a header that failed its checks
  std::uint64_t offset = 0;      // Frame, Error: the stream offset of the frame's header
  protocol::Reason error = protocol::Reason::None;
};

class FrameSplitter {
 public:
  explicit FrameSplitter(std::uint32_t max_body = protocol::kAbsoluteMaxBody)
      : max_body_(max_body) {}

  // Appends the next bytes of the stream (copied).
  void feed(std::span<const std::uint8_t> bytes);
  // The next whole frame, NeedMore, or the sticky Error.
  SplitResult next();
  // Bytes of a frame that has begun but is not whole yet; at the end of the stream, non-zero
  // means the stream stopped inside a frame.
  std::size_t partial_bytes() const { return buffer_.size() - read_; }
  // Where the next frame begins in the stream.
  std::uint64_t offset() const { return consumed_ + read_; }
  bool failed() const { return error_.status == SplitResult::Status::Error; }

 private:
  std::uint32_t max_body_;
  std::vector<std::uint8_t> buffer_;
  std::size_t read_ = 0;        // bytes of buffer_ already handed out as frames
  std::uint64_t consumed_ = 0;  // stream bytes dropped from the front of buffer_
  SplitResult error_;           // the sticky error, once there is one
};

// Whether `bytes` is exactly one whole frame (a Kite recording's frame record must be): empty if
// so, with `header` read; otherwise what is wrong with it.
std::string whole_frame_problem(std::span<const std::uint8_t> bytes, protocol::FrameHeader& header);

}  // namespace kite::capture
