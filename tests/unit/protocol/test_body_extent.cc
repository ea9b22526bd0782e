// Bodies whose FlatBuffers data is a small part of them: a valid frame followed by a long tail of
// bytes nothing refers to (a compressed "bomb" that inflates to zeros) is refused with
// InvalidBody; builders' own padding and large referenced payloads are not.
#include <doctest/doctest.h>

#include "frame_helpers.h"
#include "kite/protocol/compression.h"

using namespace kite::protocol;
using namespace kite::test;
namespace wire = kite::wire;

namespace {

// A Frame{message} built by `build`, its body followed by `tail` zero bytes, optionally
// compressed; decoded as kited decodes a body. Returns the reason.
template <typename Build>
Reason decode_padded(Build build, std::size_t tail, bool compress) {
  flatbuffers::FlatBufferBuilder b;
  auto [type, message] = build(b);
  b.Finish(wire::CreateFrame(b, type, message));
  Bytes body(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  body.resize(body.size() + tail, 0);
  FrameHeader header{static_cast<std::uint32_t>(body.size()), 0, 0};
  AlignedBuffer compressed;
  std::span<const std::uint8_t> wire_body = body;
  if (compress) {
    Compressor compressor;
    CompressionSettings settings;
    settings.threshold = 0;
    settings.back_off = false;
    REQUIRE(compressor.compress(body, settings, compressed, header.dictionary));
    header.flags = flags::kCompressed;
    header.length = static_cast<std::uint32_t>(compressed.size());
    wire_body = compressed.view();
  }
  AlignedCopy copy(wire_body);
  BodyDecoder bodies;
  const wire::Frame* frame = nullptr;
  return bodies.decode({header, copy.view()}, 1 << 20, frame);
}

auto ping(flatbuffers::FlatBufferBuilder& b) {
  return std::pair{wire::Message::Ping, wire::CreatePing(b, 7).Union()};
}

auto publish(flatbuffers::FlatBufferBuilder& b) {
  Bytes payload(200'000, 0);  // zeros, but referenced: the publish's own data
  auto data = b.CreateVector(payload);
  auto topic = b.CreateString("t");
  return std::pair{wire::Message::Publish,
                   wire::CreatePublish(b, 0, wire::Qos::AtMostOnce, 0, topic, 0, 0, data).Union()};
}

}  // namespace

TEST_CASE("a tiny frame followed by a long unreferenced tail is refused as InvalidBody") {
  CHECK(decode_padded(ping, 192 * 1024, /*compress=*/true) == Reason::InvalidBody);
  CHECK(decode_padded(ping, 192 * 1024, /*compress=*/false) == Reason::InvalidBody);
  CHECK(decode_padded(ping, 2048, false) == Reason::InvalidBody);
}

TEST_CASE("a builder's padding and large referenced data are accepted") {
  CHECK(decode_padded(ping, 0, false) == Reason::None);
  CHECK(decode_padded(ping, 8, false) == Reason::None);        // alignment padding
  CHECK(decode_padded(ping, 1024, false) == Reason::None);     // within the slack
  CHECK(decode_padded(publish, 0, true) == Reason::None);      // 200 KB of zeros, referenced
  CHECK(decode_padded(publish, 4096, false) == Reason::None);  // a tail smaller than the data
}
