// Stream reassembly: any split, any coalescing, early rejection, no copy for whole frames.
#include <doctest/doctest.h>

#include <random>

#include "frame_helpers.h"

using namespace kite::protocol;
using namespace kite::test;

namespace {

// A random stream of publishes: payloads from empty to several KiB, compressible or not.
struct Stream {
  Bytes bytes;
  std::vector<DecodedPublish> sent;
};

Stream random_stream(std::mt19937_64& rng, std::size_t frames) {
  FrameEncoder encoder;
  encoder.compression().threshold = 128;
  Stream stream;
  std::uniform_int_distribution<int> pick(0, 9);
  for (std::size_t i = 1; i <= frames; ++i) {
    std::size_t size = pick(rng) < 7 ? rng() % 200 : rng() % 6000;
    Bytes payload(size);
    bool repetitive = pick(rng) < 5;  // compresses well, so it goes out compressed
    for (std::size_t j = 0; j < size; ++j)
      payload[j] = repetitive ? static_cast<std::uint8_t>("telemetry"[j % 9])
                              : static_cast<std::uint8_t>(rng());
    std::size_t before = stream.bytes.size();
    encode_publish(encoder, i, payload, stream.bytes);
    FrameHeader header;
    read_header(std::span<const std::uint8_t, 8>(stream.bytes.data() + before, 8), kAbsoluteMaxBody,
                header);
    stream.sent.push_back({i, header.compressed(), std::move(payload)});
  }
  return stream;
}

}  // namespace

TEST_CASE("property: random streams cut at random points decode to exactly the frames sent") {
  std::mt19937_64 rng(20261121);
  std::size_t compressed_frames = 0;
  for (int round = 0; round < 60; ++round) {
    Stream stream = random_stream(rng, 1 + rng() % 300);
    for (const auto& p : stream.sent) compressed_frames += p.compressed;

    // Cut points: every third round feeds 1 byte at a time, the others random chunk sizes.
    FrameDecoder decoder(kAbsoluteMaxBody);
    BodyDecoder bodies;
    std::vector<DecodedPublish> received;
    std::size_t at = 0;
    while (at < stream.bytes.size()) {
      std::size_t chunk = round % 3 == 0 ? 1 : 1 + rng() % 4000;
      chunk = std::min(chunk, stream.bytes.size() - at);
      AlignedCopy read{std::span(stream.bytes).subspan(at, chunk)};
      decoder.feed(read.view());
      REQUIRE(drain(decoder, bodies, received) == Reason::None);
      at += chunk;
    }
    CHECK(decoder.finish() == Reason::None);
    REQUIRE(received.size() == stream.sent.size());
    CHECK(received == stream.sent);
  }
  CHECK(compressed_frames > 100);  // the property covered compressed frames too
}

TEST_CASE("hundreds of frames coalesced in one read, returned in place without a copy") {
  FrameEncoder encoder;
  Bytes stream;
  Bytes payload(64, 0x42);
  for (std::uint64_t seq = 1; seq <= 500; ++seq) encode_publish(encoder, seq, payload, stream);
  AlignedCopy read(stream);

  FrameDecoder decoder;
  decoder.feed(read.view());
  std::size_t frames = 0;
  for (;;) {
    auto result = decoder.next();
    if (result.status != DecodeResult::Status::Frame) break;
    ++frames;
    const auto* begin = read.view().data();
    const auto* end = begin + read.view().size();
    CHECK(result.frame.body.data() >= begin);  // points into the read buffer: no copy
    CHECK(result.frame.body.data() + result.frame.body.size() <= end);
  }
  CHECK(frames == 500);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("a length above the limit is rejected before any body byte is buffered") {
  Bytes header(kHeaderSize);
  write_header({100'001, 0, 0}, header.data());
  FrameDecoder decoder(100'000);
  SUBCASE("whole header in one read") {
    decoder.feed(header);
    auto result = decoder.next();
    CHECK(result.status == DecodeResult::Status::Error);
    CHECK(result.error == Reason::FrameTooLarge);
  }
  SUBCASE("header split, then the first body bytes") {
    decoder.feed(std::span(header).first(3));
    CHECK(decoder.next().status == DecodeResult::Status::NeedMore);
    decoder.feed(std::span(header).subspan(3));
    CHECK(decoder.next().error == Reason::FrameTooLarge);
  }
  CHECK(decoder.buffered_bytes() <= kHeaderSize);
  Bytes more(1000, 0);
  decoder.feed(more);  // the error is sticky; nothing more is taken in
  CHECK(decoder.next().error == Reason::FrameTooLarge);
  CHECK(decoder.buffered_bytes() <= kHeaderSize);
}

TEST_CASE("unknown flag bits are an error") {
  Bytes header(kHeaderSize);
  write_header({8, 0x0004, 0}, header.data());
  FrameDecoder decoder;
  decoder.feed(header);
  CHECK(decoder.next().error == Reason::BadFlags);
}

TEST_CASE("a stream ending inside a frame is truncated") {
  FrameEncoder encoder;
  Bytes stream;
  encode_publish(encoder, 1, bytes_of("hello"), stream);
  FrameDecoder decoder;
  decoder.feed(std::span(stream).first(stream.size() - 9));
  CHECK(decoder.next().status == DecodeResult::Status::NeedMore);
  CHECK(decoder.finish() == Reason::TruncatedFrame);
}

TEST_CASE("the partial buffer grows with the bytes that arrive, not the announced length") {
  Bytes header(kHeaderSize);
  write_header({60'000, 0, 0}, header.data());
  FrameDecoder decoder(64'000);
  decoder.feed(header);
  CHECK(decoder.next().status == DecodeResult::Status::NeedMore);
  Bytes trickle(10, 0);
  decoder.feed(trickle);
  CHECK(decoder.next().status == DecodeResult::Status::NeedMore);
  CHECK(decoder.buffered_bytes() <= kHeaderSize + 64);
}

TEST_CASE("a misaligned read is realigned, and the read offset hint restores alignment") {
  FrameEncoder encoder;
  Bytes stream;
  encode_publish(encoder, 1, bytes_of("abc"), stream);
  encode_publish(encoder, 2, bytes_of("defgh"), stream);
  FrameDecoder decoder;
  BodyDecoder bodies;
  std::vector<DecodedPublish> out;

  AlignedCopy first{std::span(stream).first(13)};  // stops 13 bytes into the stream
  decoder.feed(first.view());
  REQUIRE(drain(decoder, bodies, out) == Reason::None);
  CHECK(decoder.read_offset_hint() == 13 % 8);

  // The rest, placed at the hinted offset of an aligned buffer: bodies come out aligned.
  Bytes rest(stream.begin() + 13, stream.end());
  std::vector<std::uint64_t> buffer(rest.size() / 8 + 2);
  auto* base = reinterpret_cast<std::uint8_t*>(buffer.data()) + decoder.read_offset_hint();
  std::memcpy(base, rest.data(), rest.size());
  decoder.feed({base, rest.size()});
  REQUIRE(drain(decoder, bodies, out) == Reason::None);
  REQUIRE(out.size() == 2);
  CHECK(out[1].payload == bytes_of("defgh"));
}

namespace {

// A frame as encoded, with what it carries.
struct Sent {
  Bytes frame;
  std::uint64_t seq;
  std::string payload;
};

Sent sent(FrameEncoder& encoder, std::uint64_t seq, std::string payload) {
  Sent s{{}, seq, std::move(payload)};
  encode_publish(encoder, seq, bytes_of(s.payload), s.frame);
  return s;
}

// One connection's decoders, kept across the steps of the test below, and what they decoded.
struct Reader {
  FrameDecoder decoder;
  BodyDecoder bodies;
  std::vector<DecodedPublish> out;
};

// `bytes` placed `offset` bytes past the start of an 8-aligned buffer, as a read landing there.
struct PlacedRead {
  PlacedRead(std::span<const std::uint8_t> bytes, std::size_t offset)
      : words(bytes.size() / 8 + 2),
        data(reinterpret_cast<std::uint8_t*>(words.data()) + offset),
        size(bytes.size()) {
    std::memcpy(data, bytes.data(), bytes.size());
  }
  std::span<const std::uint8_t> view() const { return {data, size}; }
  std::vector<std::uint64_t> words;
  std::uint8_t* data;
  std::size_t size;
};

// One byte per read: the header, then the body, then the padding are collected.
void feed_one_byte_per_read(Reader& r, const Sent& s) {
  const std::size_t before = r.out.size();
  for (std::size_t i = 0; i < s.frame.size(); ++i) {
    AlignedCopy read{std::span(s.frame).subspan(i, 1)};
    r.decoder.feed(read.view());
    REQUIRE(drain(r.decoder, r.bodies, r.out) == Reason::None);
    if (i + 1 < s.frame.size()) {
      CHECK(r.out.size() == before);
      CHECK(r.decoder.buffered_bytes() > 0);
      CHECK(r.decoder.finish() == Reason::TruncatedFrame);
    }
  }
  REQUIRE(r.out.size() == before + 1);
  CHECK(r.out[before].payload == bytes_of(s.payload));
  CHECK(r.decoder.buffered_bytes() == 0);
  CHECK(r.decoder.finish() == Reason::None);
  CHECK(r.decoder.read_offset_hint() == 0);
}

// A whole frame 4 bytes off alignment (the hint ignored): the body comes back as an aligned copy
// that outlives release_idle_memory() until the next call to next().
void feed_whole_but_misaligned(Reader& r, const Sent& s) {
  PlacedRead read(s.frame, 4);
  r.decoder.feed(read.view());
  auto result = r.decoder.next();
  REQUIRE(result.status == DecodeResult::Status::Frame);
  auto address = reinterpret_cast<std::uintptr_t>(result.frame.body.data());
  CHECK(address % kFrameAlignment == 0);
  CHECK((result.frame.body.data() < read.data ||
         result.frame.body.data() >= read.data + s.frame.size()));
  r.decoder.release_idle_memory();  // the returned body is still in use: it must stay valid
  const kite::wire::Frame* frame = nullptr;
  REQUIRE(r.bodies.decode(result.frame, r.decoder.max_body(), frame) == Reason::None);
  const auto* publish = frame->message_as_Publish();
  REQUIRE(publish != nullptr);
  CHECK(publish->seq() == s.seq);
  CHECK(Bytes(publish->payload()->begin(), publish->payload()->end()) == bytes_of(s.payload));
  CHECK(r.decoder.next().status == DecodeResult::Status::NeedMore);
  r.decoder.release_idle_memory();
  CHECK(r.decoder.buffered_bytes() == 0);
  CHECK(r.decoder.finish() == Reason::None);
}

// A header split across reads, with release_idle_memory() in between: nothing is lost.
void feed_header_split_around_release(Reader& r, const Sent& s) {
  const std::size_t before = r.out.size();
  AlignedCopy head{std::span(s.frame).first(3)};
  r.decoder.feed(head.view());
  REQUIRE(drain(r.decoder, r.bodies, r.out) == Reason::None);
  CHECK(r.decoder.buffered_bytes() == 3);
  r.decoder.release_idle_memory();
  CHECK(r.decoder.buffered_bytes() == 3);
  PlacedRead tail(std::span(s.frame).subspan(3), r.decoder.read_offset_hint());
  r.decoder.feed(tail.view());
  REQUIRE(drain(r.decoder, r.bodies, r.out) == Reason::None);
  REQUIRE(r.out.size() == before + 1);
  CHECK(r.out[before].seq == s.seq);
  CHECK(r.out[before].payload == bytes_of(s.payload));
  r.decoder.release_idle_memory();
  CHECK(r.decoder.buffered_bytes() == 0);
}

// An aligned whole frame is returned in place, without a copy.
void feed_whole_and_aligned(Reader& r, const Sent& s) {
  AlignedCopy whole{s.frame};
  r.decoder.feed(whole.view());
  auto result = r.decoder.next();
  REQUIRE(result.status == DecodeResult::Status::Frame);
  CHECK(result.frame.body.data() >= whole.view().data());
  CHECK(result.frame.body.data() + result.frame.body.size() <=
        whole.view().data() + whole.view().size());
  const kite::wire::Frame* frame = nullptr;
  REQUIRE(r.bodies.decode(result.frame, r.decoder.max_body(), frame) == Reason::None);
  REQUIRE(frame->message_as_Publish() != nullptr);
  CHECK(frame->message_as_Publish()->seq() == s.seq);
  CHECK(r.decoder.next().status == DecodeResult::Status::NeedMore);
  CHECK(r.decoder.finish() == Reason::None);
}

}  // namespace

TEST_CASE(
    "split and misaligned frames go through the spill, and release_idle_memory keeps decoding") {
  FrameEncoder encoder;
  const Sent first = sent(encoder, 1, "split into one-byte reads");
  const Sent second = sent(encoder, 2, "whole but misaligned");
  const Sent third = sent(encoder, 3, "header split around a release");
  const Sent fourth = sent(encoder, 4, "whole and aligned");
  // One decoder through every step: each leaves it in a state the next must cope with.
  Reader reader;
  feed_one_byte_per_read(reader, first);
  feed_whole_but_misaligned(reader, second);
  feed_header_split_around_release(reader, third);
  feed_whole_and_aligned(reader, fourth);  // after all that, still returned in place
}
