// FrameSplitter: whole frames with their stream offsets however the stream is cut; a bad header
// is a sticky error at its offset before any of its body is kept; whole_frame_problem for the
// frames of a recording.
#include <doctest/doctest.h>

#include "capture_builders.h"
#include "kite/capture/frame_splitter.h"

namespace kite::capture::test {
namespace {

struct Cut {
  std::vector<Bytes> frames;
  std::vector<std::uint64_t> offsets;
  SplitResult last;
};

Cut split(const Bytes& stream, std::size_t chunk) {
  FrameSplitter splitter;
  Cut cut;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    const std::size_t n = std::min(chunk, stream.size() - at);
    splitter.feed(std::span(stream).subspan(at, n));
    for (;;) {
      cut.last = splitter.next();
      if (cut.last.status != SplitResult::Status::Frame) break;
      cut.frames.emplace_back(cut.last.frame.begin(), cut.last.frame.end());
      cut.offsets.push_back(cut.last.offset);
    }
    if (cut.last.status == SplitResult::Status::Error) break;
  }
  return cut;
}

}  // namespace

TEST_CASE("splitter: frames come out whole with their offsets, however the stream is cut") {
  const std::vector<Bytes> frames = {raw_frame("hello"), raw_frame(""), raw_frame("12345678"),
                                     raw_frame(std::string(1000, 'z'), 1)};
  Bytes stream;
  std::vector<std::uint64_t> offsets;
  for (const auto& f : frames) {
    offsets.push_back(stream.size());
    append(stream, f);
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{13},
                            std::size_t{500}, stream.size()}) {
    CAPTURE(chunk);
    const Cut cut = split(stream, chunk);
    CHECK(cut.frames == frames);
    CHECK(cut.offsets == offsets);
    CHECK(cut.last.status == SplitResult::Status::NeedMore);
  }
}

TEST_CASE("splitter: a frame not yet whole waits, and says how much of it is in") {
  FrameSplitter splitter;
  const Bytes frame = raw_frame("0123456789");  // 8 + 10 + 6 padding
  splitter.feed(std::span(frame).first(12));
  CHECK(splitter.next().status == SplitResult::Status::NeedMore);
  CHECK(splitter.partial_bytes() == 12);
  CHECK(splitter.offset() == 0);
  splitter.feed(std::span(frame).subspan(12));
  const SplitResult result = splitter.next();
  REQUIRE(result.status == SplitResult::Status::Frame);
  CHECK(result.header.length == 10);
  CHECK(splitter.partial_bytes() == 0);
  CHECK(splitter.offset() == frame.size());
}

TEST_CASE("splitter: a bad header stops the stream at its offset, for good") {
  Bytes stream = raw_frame("first");
  const std::uint64_t bad_at = stream.size();
  SUBCASE("a length above the absolute maximum") {
    Bytes bad;
    put_le32(bad, protocol::kAbsoluteMaxBody + 1);
    put_le32(bad, 0);
    append(stream, bad);
  }
  SUBCASE("unknown flags") {
    append(stream, raw_frame("x", 0x8000));
  }
  SUBCASE("a dictionary without compression") {
    append(stream, raw_frame("x", 0, 3));
  }
  append(stream, raw_frame("never reached"));
  const Cut cut = split(stream, 5);
  REQUIRE(cut.frames.size() == 1);
  REQUIRE(cut.last.status == SplitResult::Status::Error);
  CHECK(cut.last.offset == bad_at);
  CHECK(cut.last.error != protocol::Reason::None);

  FrameSplitter splitter;
  splitter.feed(stream);
  CHECK(splitter.next().status == SplitResult::Status::Frame);
  CHECK(splitter.next().status == SplitResult::Status::Error);
  splitter.feed(raw_frame("after"));
  CHECK(splitter.next().status == SplitResult::Status::Error);  // sticky
  CHECK(splitter.failed());
}

TEST_CASE("splitter: a huge announced length is refused from its header alone") {
  FrameSplitter splitter;
  Bytes header;
  put_le32(header, 0xffffffff);
  put_le32(header, 0);
  splitter.feed(header);
  const SplitResult result = splitter.next();
  REQUIRE(result.status == SplitResult::Status::Error);
  CHECK(result.error == protocol::Reason::FrameTooLarge);
  CHECK(result.header.length == 0xffffffff);
}

TEST_CASE("whole_frame_problem: exactly one frame, or what is wrong") {
  protocol::FrameHeader header;
  CHECK(whole_frame_problem(raw_frame("abc"), header).empty());
  CHECK(header.length == 3);
  Bytes longer = raw_frame("abc");
  longer.push_back(0);
  CHECK(whole_frame_problem(longer, header).find("announces a frame of 16") != std::string::npos);
  CHECK(whole_frame_problem(bytes_of("abc"), header).find("fewer than a frame header") !=
        std::string::npos);
  CHECK(whole_frame_problem(raw_frame("x", 4), header).find("BadFlags") != std::string::npos);
}

}  // namespace kite::capture::test
