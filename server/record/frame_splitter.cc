#include "record/frame_splitter.h"

#include <algorithm>

namespace kite::server::record {
namespace {

using protocol::kHeaderSize;

// A partial-frame buffer above this is given back once its frame is out: one big frame should
// not pin its memory on a connection that goes on with small ones.
constexpr std::size_t kRetainedCapacity = 64 * 1024;

}  // namespace

void FrameSplitter::reset() {
  failed_ = false;
  finish_partial();
}

std::size_t FrameSplitter::frame_size_at(const std::uint8_t* bytes) {
  protocol::FrameHeader header;
  const auto reason =
      protocol::read_header(std::span<const std::uint8_t, kHeaderSize>(bytes, kHeaderSize),
                            protocol::kAbsoluteMaxBody, header);
  if (reason != protocol::Reason::None) {
    failed_ = true;
    return 0;
  }
  return protocol::frame_size(header.length);
}

std::size_t FrameSplitter::fill_partial(std::span<const std::uint8_t> bytes) {
  std::size_t taken = 0;
  if (partial_.size() < kHeaderSize) {
    taken = std::min(kHeaderSize - partial_.size(), bytes.size());
    partial_.insert(partial_.end(), bytes.begin(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(taken));
    if (partial_.size() < kHeaderSize) return taken;
    partial_size_ = frame_size_at(partial_.data());
    if (partial_size_ == 0) return bytes.size();  // failed: the rest is not frames either
  }
  const std::size_t more = std::min(partial_size_ - partial_.size(), bytes.size() - taken);
  const auto from = bytes.begin() + static_cast<std::ptrdiff_t>(taken);
  partial_.insert(partial_.end(), from, from + static_cast<std::ptrdiff_t>(more));
  return taken + more;
}

void FrameSplitter::finish_partial() {
  partial_.clear();
  partial_size_ = 0;
  if (partial_.capacity() > kRetainedCapacity) std::vector<std::uint8_t>().swap(partial_);
}

}  // namespace kite::server::record
