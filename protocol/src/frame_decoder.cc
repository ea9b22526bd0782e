#include "kite/protocol/frame_decoder.h"

#include <algorithm>
#include <cstring>

namespace kite::protocol {
namespace {

// A partial-frame buffer larger than this is returned to the allocator once its frame is done,
// so one big frame does not pin memory while later frames keep arriving split.
constexpr std::size_t kRetainedPartialCapacity = 4096;

}  // namespace

void FrameDecoder::feed(std::span<const std::uint8_t> chunk) {
  input_ = chunk;
  if (spill_) spill_->used = false;
}

std::span<const std::uint8_t> FrameDecoder::consume(std::size_t n) {
  auto taken = input_.first(n);
  input_ = input_.subspan(n);
  stream_offset_ += n;
  return taken;
}

FrameDecoder::Spill& FrameDecoder::spill() {
  if (!spill_) spill_ = std::make_unique<Spill>();
  spill_->used = true;
  return *spill_;
}

DecodeResult FrameDecoder::fail(Reason reason) {
  error_ = reason;
  input_ = {};
  spill_.reset();  // nothing more is decoded, and an error returns no frame
  return {DecodeResult::Status::Error, {}, reason};
}

DecodeResult FrameDecoder::next() {
  if (error_ != Reason::None) return {DecodeResult::Status::Error, {}, error_};
  if (spill_ && spill_->returned) {  // the caller is done with the frame we returned from it
    spill_->returned = false;
    spill_->body.clear();
    if (spill_->body.capacity() > kRetainedPartialCapacity) spill_->body.release();
  }
  DecodeResult result = spill_ && spill_->splitting() ? continue_partial() : take_contiguous();
  // NeedMore outside a frame: the chunk is used up at a frame boundary and the spill holds
  // nothing. It goes if this whole chunk did without it (a connection gone quiet, reads that
  // arrive whole); a stream whose reads keep splitting frames keeps it: no allocation per split.
  if (result.status == DecodeResult::Status::NeedMore && spill_ && !spill_->splitting() &&
      !spill_->used)
    spill_.reset();
  return result;
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
  Spill& s = spill();
  if (!s.in_body) {
    std::size_t want = std::min(kHeaderSize - s.header_fill, input_.size());
    auto bytes = consume(want);
    std::memcpy(s.header_bytes + s.header_fill, bytes.data(), bytes.size());
    s.header_fill += bytes.size();
    if (s.header_fill < kHeaderSize) return {};
    Reason reason = read_header(std::span<const std::uint8_t, kHeaderSize>(s.header_bytes),
                                max_body_, s.header);
    if (reason != Reason::None) return fail(reason);
    s.in_body = true;
    s.body.clear();
    s.padding_left = padding_for(s.header.length);
  }

  std::size_t body_missing = s.header.length - s.body.size();
  s.body.append(consume(std::min(body_missing, input_.size())));
  if (s.body.size() < s.header.length) return {};

  std::size_t skip = std::min(s.padding_left, input_.size());
  consume(skip);
  s.padding_left -= skip;
  if (s.padding_left > 0) return {};

  s.in_body = false;
  s.header_fill = 0;
  s.returned = true;
  return {DecodeResult::Status::Frame, {s.header, s.body.view()}, Reason::None};
}

std::span<const std::uint8_t> FrameDecoder::aligned_body(std::span<const std::uint8_t> body) {
  auto address = reinterpret_cast<std::uintptr_t>(body.data());
  if (body.empty() || address % kFrameAlignment == 0) return body;
  Spill& s = spill();
  s.realign.clear();
  s.realign.append(body);
  s.returned = true;
  return s.realign.view();
}

Reason FrameDecoder::finish() const {
  if (error_ != Reason::None) return error_;
  bool inside_frame = (spill_ && spill_->splitting()) || !input_.empty();
  return inside_frame ? Reason::TruncatedFrame : Reason::None;
}

void FrameDecoder::release_idle_memory() {
  if (!spill_ || spill_->returned) return;  // a returned body stays valid until next()
  if (!spill_->splitting()) {
    spill_.reset();
    return;
  }
  spill_->realign.release();
  if (spill_->body.empty()) spill_->body.release();
}

}  // namespace kite::protocol
