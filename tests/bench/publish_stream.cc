#include "publish_stream.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>

#include <benchmark/benchmark.h>

namespace kite::bench {

using protocol::DecodeResult;

std::vector<std::uint8_t> random_payload(std::size_t size) {
  std::mt19937_64 rng(size);
  std::vector<std::uint8_t> payload(size);
  for (auto& byte : payload) byte = static_cast<std::uint8_t>(rng());
  return payload;
}

void encode_publish(protocol::FrameEncoder& encoder, std::uint64_t seq,
                    std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& out) {
  auto& b = encoder.start();
  auto topic = b.CreateString(kTopic);
  auto bytes = b.CreateVector(payload.data(), payload.size());
  encoder.finish(wire::CreatePublish(b, seq, wire::Qos::AtLeastOnce, 0, topic, 0, 0, bytes), out);
}

PublishStream make_publish_stream(std::size_t frames, std::size_t payload_size,
                                  std::uint64_t first_seq, std::size_t misalign) {
  protocol::FrameEncoder encoder;
  encoder.compression().threshold = std::numeric_limits<std::size_t>::max();
  auto payload = random_payload(payload_size);
  std::vector<std::uint8_t> encoded;
  for (std::size_t i = 0; i < frames; ++i) encode_publish(encoder, first_seq + i, payload, encoded);

  PublishStream stream;
  stream.words.resize((misalign + encoded.size() + 7) / 8);
  stream.offset = misalign;
  stream.size = encoded.size();
  stream.frames = frames;
  stream.frame_bytes = frames ? encoded.size() / frames : 0;
  std::memcpy(stream.mutable_bytes().data(), encoded.data(), encoded.size());
  return stream;
}

std::size_t seq_offset_in_frame(std::size_t payload_size) {
  constexpr std::uint64_t kMarker = 0x5a17c0ffee15beefULL;
  protocol::FrameEncoder encoder;
  encoder.compression().threshold = std::numeric_limits<std::size_t>::max();
  std::vector<std::uint8_t> frame;
  encode_publish(encoder, kMarker, random_payload(payload_size), frame);
  std::uint8_t marker[sizeof kMarker];
  std::memcpy(marker, &kMarker, sizeof kMarker);
  auto found = std::search(frame.begin(), frame.end(), std::begin(marker), std::end(marker));
  if (found == frame.end()) return std::numeric_limits<std::size_t>::max();
  return static_cast<std::size_t>(found - frame.begin());
}

std::size_t decode_and_verify_all(protocol::FrameDecoder& decoder, protocol::BodyDecoder& body) {
  std::size_t frames = 0;
  for (;;) {
    DecodeResult result = decoder.next();
    if (result.status == DecodeResult::Status::NeedMore) return frames;
    if (result.status == DecodeResult::Status::Error)
      return std::numeric_limits<std::size_t>::max();
    const wire::Frame* frame = nullptr;
    if (body.decode(result.frame, decoder.max_body(), frame) != protocol::Reason::None)
      return std::numeric_limits<std::size_t>::max();
    const auto* publish = frame->message_as_Publish();
    if (publish == nullptr) return std::numeric_limits<std::size_t>::max();
    std::uint64_t seq = publish->seq();
    std::size_t payload_size = publish->payload() ? publish->payload()->size() : 0;
    benchmark::DoNotOptimize(seq);
    benchmark::DoNotOptimize(payload_size);
    ++frames;
  }
}

}  // namespace kite::bench
