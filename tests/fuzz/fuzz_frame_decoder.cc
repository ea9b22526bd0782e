// Fuzzes FrameDecoder with chunked input. The input is a prefix and a stream (fuzz_common.h): the
// stream is decoded twice, once fed whole and once cut by the chunk plan (1-byte feeds included),
// and both runs must yield the same frames, then the same error or end state.
//
// Option bits (input byte 4):
//   bit 0-2 max_body (kMaxBodies)
//   bit 3   copy each chunk into an 8-aligned buffer at read_offset_hint() (the zero-copy path);
//           otherwise at an odd address, so every whole frame must be realigned
//   bit 4   release_idle_memory() after each NeedMore
//   bit 5   raise max_body to kAbsoluteMaxBody after the first frame, as a session does after its
//           handshake
// Checked for every frame: the body has header.length bytes, equal to the stream's bytes after
// that header, it is 8-byte aligned, the header is within max_body with known flags only;
// buffered_bytes() stays within max_body + 8; an error is sticky.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_common.h"

namespace kite::fuzz {
namespace {

using protocol::DecodeResult;
using protocol::FrameDecoder;
using protocol::FrameHeader;
using protocol::Reason;

constexpr std::array<std::uint32_t, 8> kMaxBodies = {
    protocol::kDefaultMaxBody, 0, 8, 100, 1024, 8192, 65536, protocol::kAbsoluteMaxBody};

struct Frame {
  FrameHeader header;
  std::vector<std::uint8_t> body;
};

struct Outcome {
  std::vector<Frame> frames;
  Reason error = Reason::None;  // the sticky error, if the stream had one
  Reason finish = Reason::None;
};

class Run {
 public:
  Run(std::uint8_t options, std::span<const std::uint8_t> stream)
      : options_(options), stream_(stream), decoder_(kMaxBodies[options & 7]) {}

  // Feeds `chunk` and takes every frame out of it; false once the decoder failed.
  bool feed(std::span<const std::uint8_t> chunk) {
    std::span<const std::uint8_t> placed = place(chunk);
    decoder_.feed(placed);
    for (;;) {
      DecodeResult result = decoder_.next();
      KITE_FUZZ_CHECK(decoder_.buffered_bytes() <= std::size_t{decoder_.max_body()} + 8);
      switch (result.status) {
        case DecodeResult::Status::NeedMore:
          if (options_ & 0x10) decoder_.release_idle_memory();
          return true;
        case DecodeResult::Status::Error:
          check_sticky(result.error);
          outcome_.error = result.error;
          return false;
        case DecodeResult::Status::Frame:
          take(result.frame);
          break;
      }
    }
  }

  Outcome finish() {
    outcome_.finish = decoder_.finish();
    if (outcome_.error != Reason::None) KITE_FUZZ_CHECK(outcome_.finish == outcome_.error);
    return std::move(outcome_);
  }

  const std::vector<Frame>& frames() const { return outcome_.frames; }

 private:
  // Copies the chunk into an aligned buffer, at the offset the decoder asks for or at an odd one.
  std::span<const std::uint8_t> place(std::span<const std::uint8_t> chunk) {
    std::size_t offset = (options_ & 8) ? decoder_.read_offset_hint() : 1;
    // A fresh buffer each time: the old one is freed, so ASan catches a decoder that kept a view
    // into an earlier chunk.
    words_ = std::vector<std::uint64_t>((offset + chunk.size()) / 8 + 1);
    auto* bytes = reinterpret_cast<std::uint8_t*>(words_.data()) + offset;
    if (!chunk.empty()) std::memcpy(bytes, chunk.data(), chunk.size());
    return {bytes, chunk.size()};
  }

  void take(const protocol::RawFrame& raw) {
    const FrameHeader& h = raw.header;
    KITE_FUZZ_CHECK(h.length <= decoder_.max_body());
    KITE_FUZZ_CHECK((h.flags & ~protocol::flags::kKnown) == 0);
    KITE_FUZZ_CHECK(h.dictionary == 0 || h.compressed());
    KITE_FUZZ_CHECK(raw.body.size() == h.length);
    if (!raw.body.empty())
      KITE_FUZZ_CHECK(reinterpret_cast<std::uintptr_t>(raw.body.data()) % 8 == 0);

    // Independent oracle: the frame is exactly what the stream holds at this position.
    KITE_FUZZ_CHECK(position_ + protocol::kHeaderSize + h.length <= stream_.size());
    std::uint8_t header_bytes[protocol::kHeaderSize];
    protocol::write_header(h, header_bytes);
    KITE_FUZZ_CHECK(std::memcmp(header_bytes, stream_.data() + position_, sizeof header_bytes) ==
                    0);
    if (h.length > 0)
      KITE_FUZZ_CHECK(std::memcmp(raw.body.data(), stream_.data() + position_ + 8, h.length) == 0);
    position_ += protocol::frame_size(h.length);

    outcome_.frames.push_back({h, {raw.body.begin(), raw.body.end()}});
    if ((options_ & 0x20) && outcome_.frames.size() == 1)
      decoder_.set_max_body(protocol::kAbsoluteMaxBody);
  }

  void check_sticky(Reason error) {
    KITE_FUZZ_CHECK(error != Reason::None);
    for (int i = 0; i < 2; ++i) {
      DecodeResult again = decoder_.next();
      KITE_FUZZ_CHECK(again.status == DecodeResult::Status::Error && again.error == error);
    }
    static const std::uint8_t kMore[16] = {};
    decoder_.feed(kMore);
    DecodeResult again = decoder_.next();
    KITE_FUZZ_CHECK(again.status == DecodeResult::Status::Error && again.error == error);
    KITE_FUZZ_CHECK(decoder_.finish() == error);
  }

  std::uint8_t options_;
  std::span<const std::uint8_t> stream_;
  FrameDecoder decoder_;
  Outcome outcome_;
  std::size_t position_ = 0;  // stream offset of the next frame's header
  std::vector<std::uint64_t> words_;
};

bool same(const Frame& a, const Frame& b) {
  return a.header.length == b.header.length && a.header.flags == b.header.flags &&
         a.header.dictionary == b.header.dictionary && a.body == b.body;
}

}  // namespace
}  // namespace kite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kite::fuzz;
  Prefix prefix;
  std::span<const std::uint8_t> stream;
  if (!split_input({data, size}, prefix, stream)) return 0;

  Run whole(prefix.options, stream);
  whole.feed(stream);
  Outcome expected = whole.finish();

  Run chunked(prefix.options, stream);
  Chunker chunker(prefix, stream);
  while (!chunker.done()) {
    if (!chunked.feed(chunker.next())) break;
    KITE_FUZZ_CHECK(chunked.frames().size() <= expected.frames.size());
  }
  Outcome got = chunked.finish();

  KITE_FUZZ_CHECK(got.frames.size() == expected.frames.size());
  for (std::size_t i = 0; i < got.frames.size(); ++i)
    KITE_FUZZ_CHECK(same(got.frames[i], expected.frames[i]));
  KITE_FUZZ_CHECK(got.error == expected.error);
  KITE_FUZZ_CHECK(got.finish == expected.finish);
  return 0;
}
