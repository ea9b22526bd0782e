// Helpers shared by the protocol unit tests: encode messages into frames and decode streams.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"

namespace kite::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// An 8-aligned copy of `bytes`, as a read buffer from malloc would be.
struct AlignedCopy {
  explicit AlignedCopy(std::span<const std::uint8_t> bytes)
      : words((bytes.size() + 7) / 8 + 1), size(bytes.size()) {
    if (!bytes.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
  }
  std::span<const std::uint8_t> view() const {
    return {reinterpret_cast<const std::uint8_t*>(words.data()), size};
  }
  std::vector<std::uint64_t> words;
  std::size_t size;
};

// A publish frame with `payload` and sequence `seq`, appended to `out`.
inline void encode_publish(protocol::FrameEncoder& encoder, std::uint64_t seq,
                           std::span<const std::uint8_t> payload, Bytes& out) {
  auto& b = encoder.start();
  auto topic = b.CreateString("t/" + std::to_string(seq % 7));
  auto body = b.CreateVector(payload.data(), payload.size());
  encoder.finish(wire::CreatePublish(b, seq, wire::Qos::AtLeastOnce, 0, topic, 0, 0, body), out);
}

struct DecodedPublish {
  std::uint64_t seq;
  bool compressed;
  Bytes payload;
  bool operator==(const DecodedPublish&) const = default;
};

// Drains `decoder` after a feed, decoding every publish into `out`. Returns the error, if any.
inline protocol::Reason drain(protocol::FrameDecoder& decoder, protocol::BodyDecoder& bodies,
                              std::vector<DecodedPublish>& out) {
  for (;;) {
    auto result = decoder.next();
    if (result.status == protocol::DecodeResult::Status::NeedMore) return protocol::Reason::None;
    if (result.status == protocol::DecodeResult::Status::Error) return result.error;
    const wire::Frame* frame = nullptr;
    auto reason = bodies.decode(result.frame, decoder.max_body(), frame);
    if (reason != protocol::Reason::None) return reason;
    const auto* publish = frame->message_as_Publish();
    if (!publish) return protocol::Reason::UnexpectedMessage;
    out.push_back({publish->seq(), result.frame.header.compressed(),
                   Bytes(publish->payload()->begin(), publish->payload()->end())});
  }
}

}  // namespace kite::test
