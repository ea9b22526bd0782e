// Cuts one direction of a connection's plaintext byte stream into whole frames, as they travel
// (header, body, padding), however the reads happened to cut it: a frame split across reads is
// kept until its last byte arrives.
//
// Rules it keeps:
//  - frames that lie whole inside the fed bytes are handed out in place, with no copy; only a
//    frame split across feeds is copied (and its buffer given back once it was a big one);
//  - headers are checked as the protocol checks them (frame_header.h) against the largest body
//    any peer may announce; a header that fails means the stream cannot be cut any more: the
//    splitter says so once and hands out nothing after (the session closes such a connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kite/protocol/frame_header.h"

namespace kite::server::record {

class FrameSplitter {
 public:
  // Calls `on_frame(std::span<const std::uint8_t>)` for each frame that `bytes` completes, in
  // stream order; the span is valid during the call only. False when the stream turned out not
  // to be frames (now or before).
  template <typename OnFrame>
  bool feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame);

  // Forgets a partial frame: the next byte fed is taken as the start of a frame.
  void reset();
  // Bytes held for a frame split across feeds.
  std::size_t buffered() const { return partial_.size(); }
  bool failed() const { return failed_; }

 private:
  // Reads the header at the start of `bytes` (kHeaderSize of them); the frame's total size, or
  // 0 (and failed) when the header is not acceptable.
  std::size_t frame_size_at(const std::uint8_t* bytes);
  // Appends up to the rest of the partial frame from `bytes`; returns how many were taken.
  std::size_t fill_partial(std::span<const std::uint8_t> bytes);
  void finish_partial();

  std::vector<std::uint8_t> partial_;
  std::size_t partial_size_ = 0;  // the partial frame's total size, once its header is in
  bool failed_ = false;
};

template <typename OnFrame>
bool FrameSplitter::feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
  while (!failed_ && !bytes.empty()) {
    if (partial_.empty() && bytes.size() >= protocol::kHeaderSize) {
      const std::size_t size = frame_size_at(bytes.data());
      if (size == 0) break;
      if (bytes.size() >= size) {  // whole in this feed: handed out in place
        on_frame(bytes.first(size));
        bytes = bytes.subspan(size);
        continue;
      }
    }
    bytes = bytes.subspan(fill_partial(bytes));
    if (!failed_ && partial_size_ != 0 && partial_.size() == partial_size_) {
      on_frame(std::span<const std::uint8_t>(partial_));
      finish_partial();
    }
  }
  return !failed_;
}

}  // namespace kite::server::record
