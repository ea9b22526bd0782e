#include "kite/capture/frame_splitter.h"

namespace kite::capture {

void FrameSplitter::feed(std::span<const std::uint8_t> bytes) {
  if (failed()) return;
  // Drop what was handed out before growing, so the buffer stays one frame plus one chunk.
  if (read_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    consumed_ += read_;
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

SplitResult FrameSplitter::next() {
  if (failed()) return error_;
  const std::span<const std::uint8_t> rest(buffer_.data() + read_, buffer_.size() - read_);
  if (rest.size() < protocol::kHeaderSize) return {};
  SplitResult result;
  result.offset = offset();
  result.error =
      protocol::read_header(rest.first<protocol::kHeaderSize>(), max_body_, result.header);
  if (result.error != protocol::Reason::None) {
    result.status = SplitResult::Status::Error;
    error_ = result;
    return result;
  }
  const std::size_t size = protocol::frame_size(result.header.length);
  if (rest.size() < size) return {};
  result.status = SplitResult::Status::Frame;
  result.frame = rest.first(size);
  read_ += size;
  return result;
}

std::string whole_frame_problem(std::span<const std::uint8_t> bytes,
                                protocol::FrameHeader& header) {
  if (bytes.size() < protocol::kHeaderSize)
    return "only " + std::to_string(bytes.size()) + " bytes, fewer than a frame header";
  const protocol::Reason reason = protocol::read_header(bytes.first<protocol::kHeaderSize>(),
                                                        protocol::kAbsoluteMaxBody, header);
  if (reason != protocol::Reason::None)
    return "bad frame header: " + std::string(protocol::reason_name(reason));
  const std::size_t size = protocol::frame_size(header.length);
  if (bytes.size() != size)
    return std::to_string(bytes.size()) + " bytes where the header announces a frame of " +
           std::to_string(size) + " (" + std::to_string(header.length) + " of body, padded)";
  return {};
}

}  // namespace kite::capture
