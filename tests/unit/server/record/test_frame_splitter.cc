// The frame splitter: however a stream of frames is cut into reads, the same frames come out,
// whole and byte-exact; a header that is not a frame's stops it.
#include <doctest/doctest.h>

#include <random>

#include "record/frame_splitter.h"
#include "record_test_support.h"

using kite::server::record::FrameSplitter;
using kite::test::make_frame;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Frames of lengths around the padding edges, an empty body, and one above the splitter's
// retained buffer (64 KiB), so that giving that buffer back is exercised.
std::vector<Bytes> sample_frames() {
  std::vector<Bytes> frames;
  std::uint8_t seed = 1;
  for (std::size_t length : {0, 1, 7, 8, 9, 100, 70'000, 15, 4096})
    frames.push_back(make_frame(length, seed++));
  return frames;
}

Bytes concatenate(const std::vector<Bytes>& frames) {
  Bytes stream;
  for (const auto& frame : frames) stream.insert(stream.end(), frame.begin(), frame.end());
  return stream;
}

// Feeds `stream` cut at `cuts` (ascending offsets) and returns the frames that came out.
std::vector<Bytes> split(const Bytes& stream, const std::vector<std::size_t>& cuts) {
  FrameSplitter splitter;
  std::vector<Bytes> out;
  std::size_t from = 0;
  auto feed_to = [&](std::size_t to) {
    const bool ok = splitter.feed(
        std::span(stream).subspan(from, to - from),
        [&](std::span<const std::uint8_t> f) { out.emplace_back(f.begin(), f.end()); });
    CHECK(ok);
    from = to;
  };
  for (std::size_t cut : cuts) feed_to(cut);
  feed_to(stream.size());
  CHECK(splitter.buffered() == 0);
  return out;
}

}  // namespace

TEST_CASE("frames in one read come out whole, in order") {
  const auto frames = sample_frames();
  CHECK(split(concatenate(frames), {}) == frames);
}

TEST_CASE("every cut in two of a multi-frame stream gives the same frames") {
  const std::vector<Bytes> frames{make_frame(5, 1), make_frame(16, 2), make_frame(0, 3),
                                  make_frame(33, 4)};
  const Bytes stream = concatenate(frames);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    CHECK(split(stream, {cut}) == frames);
  }
}

TEST_CASE("byte-by-byte reads give the same frames") {
  const auto frames = sample_frames();
  const Bytes stream = concatenate(frames);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < 2000; ++i) cuts.push_back(i);  // the small frames byte by byte
  CHECK(split(stream, cuts) == frames);
}

TEST_CASE("random cuts give the same frames") {
  const auto frames = sample_frames();
  const Bytes stream = concatenate(frames);
  std::mt19937 random(20250101);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::size_t> at(0, stream.size());
    std::vector<std::size_t> cuts(1 + round % 40);
    for (auto& cut : cuts) cut = at(random);
    std::sort(cuts.begin(), cuts.end());
    CAPTURE(round);
    CHECK(split(stream, cuts) == frames);
  }
}

TEST_CASE("a header that is not a frame's stops the splitter, before and after a frame") {
  Bytes stream = make_frame(3, 9);
  Bytes bad = make_frame(3, 10);
  bad[4] = 0x80;  // an unknown flag bit
  stream.insert(stream.end(), bad.begin(), bad.end());
  const Bytes next = make_frame(3, 11);
  stream.insert(stream.end(), next.begin(), next.end());

  SUBCASE("in one read: the frame before it comes out, nothing after") {
    FrameSplitter splitter;
    int frames = 0;
    CHECK_FALSE(splitter.feed(stream, [&](auto) { ++frames; }));
    CHECK(frames == 1);
    CHECK(splitter.failed());
    CHECK_FALSE(splitter.feed(next, [&](auto) { ++frames; }));
    CHECK(frames == 1);
  }
  SUBCASE("with the bad header split across reads") {
    FrameSplitter splitter;
    int frames = 0;
    CHECK(splitter.feed(std::span(stream).first(make_frame(3, 9).size() + 3),
                        [&](auto) { ++frames; }));
    CHECK_FALSE(splitter.feed(std::span(stream).subspan(make_frame(3, 9).size() + 3),
                              [&](auto) { ++frames; }));
    CHECK(frames == 1);
  }
  SUBCASE("reset() takes the next byte as a frame's start again") {
    FrameSplitter splitter;
    splitter.feed(bad, [](auto) {});
    splitter.reset();
    int frames = 0;
    CHECK(splitter.feed(next, [&](auto) { ++frames; }));
    CHECK(frames == 1);
  }
}

TEST_CASE("a body announced above the largest frame is refused before it is buffered") {
  Bytes header(kite::protocol::kHeaderSize);
  kite::protocol::write_header({kite::protocol::kAbsoluteMaxBody + 1, 0, 0}, header.data());
  FrameSplitter whole;
  CHECK_FALSE(whole.feed(header, [](auto) {}));
  CHECK(whole.buffered() == 0);
  FrameSplitter split;  // the header itself in two reads
  CHECK(split.feed(std::span(header).first(5), [](auto) {}));
  CHECK_FALSE(split.feed(std::span(header).subspan(5), [](auto) {}));
  CHECK(split.buffered() <= kite::protocol::kHeaderSize);  // never the announced body
}
