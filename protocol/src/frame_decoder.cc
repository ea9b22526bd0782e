#include "kite/protocol/frame_decoder.h"

#include <algorithm>
#include <cstring>

namespace kite::protocol {
namespace {

// A partial-frame buffer larger than this is returned to the allocator once its frame is done,
// so one big frame does not pin memory on an otherwise idle connection.
constexpr std::size_t kRetainedPartialCapacity = 4096;

}  // namespace

void FrameDecoder::feed(std::span<const std::uint8_t> chunk) {
  input_ = chunk;
}

std::span<const std::uint8_t> FrameDecoder::consume(std::size_t n) {
  auto taken = input_.first(n);
  input_ = input_.subspan(n);
  stream_offset_ += n;
  return taken;
}

DecodeResult FrameDecoder::fail(Reason reason) {
  error_ = reason;
  input_ = {};
  return {DecodeResult::Status::Error, {}, reason};
}

DecodeResult FrameDecoder::next() {
  if (error_ != Reason::None) return {DecodeResult::Status::Error, {}, error_};
  if (partial_ready_) {  // the caller is done with the frame we returned from partial_
    partial_ready_ = false;
    partial_.clear();
    if (partial_.capacity() > kRetainedPartialCapacity) partial_.release();
  }
  if (header_fill_ > 0 || in_body_) return continue_partial();
  return take_contiguous();
}

DecodeResult FrameDecoder::take_contiguous() {
  if (input_.size() < kHeaderSize) {
    if (input_.empty()) return {};
    return continue_partial();  // starts collecting a split header
  }
  FrameHeader header;
  Reason reason = read_header(input_.first<kHeaderSize>(), max_body_, header);
  if (reason != Reason::None) return fail(reason);
  if (input_.size() < frame_size(header.length)) return continue_partial();

  consume(kHeaderSize);
  auto body = consume(header.length);
  consume(padding_for(header.length));
  return {DecodeResult::Status::Frame, {header, aligned_body(body)}, Reason::None};
}

DecodeResult FrameDecoder::continue_partial() {
  if (!in_body_) {
    std::size_t want = std::min(kHeaderSize - header_fill_, input_.size());
    auto bytes = consume(want);
    std::memcpy(header_bytes_ + header_fill_, bytes.data(), bytes.size());
    header_fill_ += bytes.size();
    if (header_fill_ < kHeaderSize) return {};
    Reason reason = read_header(std::span<const std::uint8_t, kHeaderSize>(header_bytes_),
                                max_body_, partial_header_);
    if (reason != Reason::None) return fail(reason);
    in_body_ = true;
    partial_.clear();
    padding_left_ = padding_for(partial_header_.length);
  }

  std::size_t body_missing = partial_header_.length - partial_.size();
  partial_.append(consume(std::min(body_missing, input_.size())));
  if (partial_.size() < partial_header_.length) return {};

  std::size_t skip = std::min(padding_left_, input_.size());
  consume(skip);
  padding_left_ -= skip;
  if (padding_left_ > 0) return {};

  in_body_ = false;
  header_fill_ = 0;
  partial_ready_ = true;
  return {DecodeResult::Status::Frame, {partial_header_, partial_.view()}, Reason::None};
}

std::span<const std::uint8_t> FrameDecoder::aligned_body(std::span<const std::uint8_t> body) {
  auto address = reinterpret_cast<std::uintptr_t>(body.data());
  if (body.empty() || address % kFrameAlignment == 0) return body;
  realign_.clear();
  realign_.append(body);
  return realign_.view();
}

Reason FrameDecoder::finish() const {
  if (error_ != Reason::None) return error_;
  bool inside_frame = header_fill_ > 0 || in_body_ || !input_.empty();
  return inside_frame ? Reason::TruncatedFrame : Reason::None;
}

void FrameDecoder::release_idle_memory() {
  if (header_fill_ == 0 && !in_body_ && !partial_ready_) partial_.release();
  realign_.release();
}

}  // namespace kite::protocol
