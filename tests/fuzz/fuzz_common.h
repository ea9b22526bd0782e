// What the fuzz targets and the seed generator share: the layout of a chunked input, the fixed
// keys and nonces (so recorded handshakes replay with valid proofs), the session configuration,
// and a checker that every frame a session emits is one its peer would accept.
//
// A chunked input is a prefix followed by the stream:
//
//   byte 0..3   chunk plan: chunk i is kChunkSizes[input[i % 4] % 16] bytes long
//   byte 4      options, target-specific bits
//   byte 5      time plan: the clock advances by kTimeSteps[bits 0-2] before even chunks and by
//               kTimeSteps[bits 3-5] before odd ones
//   byte 6...   the stream, cut by the plan
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"
#include "kite/protocol/session.h"

namespace kite::fuzz {

inline constexpr std::size_t kPrefixSize = 6;
inline constexpr std::size_t kWhole = std::numeric_limits<std::size_t>::max();
inline constexpr std::array<std::size_t, 16> kChunkSizes = {
    1, 1, 2, 3, 5, 7, 8, 9, 15, 16, 63, 64, 255, 1000, 4096, kWhole};
inline constexpr std::array<protocol::Millis, 8> kTimeSteps = {0,   1,     10,     50,
                                                               500, 5'000, 20'000, 60'000};

// Indexes into kChunkSizes, for the seed generator.
inline constexpr std::uint8_t kChunkOne = 0;
inline constexpr std::uint8_t kChunkSeven = 5;
inline constexpr std::uint8_t kChunk64 = 11;
inline constexpr std::uint8_t kChunkWhole = 15;

struct Prefix {
  std::array<std::uint8_t, 4> plan{kChunkWhole, kChunkWhole, kChunkWhole, kChunkWhole};
  std::uint8_t options = 0;
  std::uint8_t time = 0;
};

// Splits an input into its prefix and stream; false if it is too short to have a prefix.
inline bool split_input(std::span<const std::uint8_t> input, Prefix& prefix,
                        std::span<const std::uint8_t>& stream) {
  if (input.size() < kPrefixSize) return false;
  for (std::size_t i = 0; i < 4; ++i) prefix.plan[i] = input[i];
  prefix.options = input[4];
  prefix.time = input[5];
  stream = input.subspan(kPrefixSize);
  return true;
}

inline std::vector<std::uint8_t> join_input(const Prefix& prefix,
                                            std::span<const std::uint8_t> stream) {
  std::vector<std::uint8_t> out(prefix.plan.begin(), prefix.plan.end());
  out.push_back(prefix.options);
  out.push_back(prefix.time);
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

// Cuts a stream into the chunks the prefix describes; the rest after kMaxChunks - 1 chunks is
// the last one. Without that cap a 2 KB input cut into single bytes took thousands of steps,
// each the same partial-frame path: the session targets ran ~250 inputs a second.
class Chunker {
 public:
  static constexpr std::size_t kMaxChunks = 64;

  Chunker(const Prefix& prefix, std::span<const std::uint8_t> stream)
      : prefix_(prefix), rest_(stream) {}

  bool done() const { return rest_.empty(); }
  std::size_t index() const { return index_; }

  std::span<const std::uint8_t> next() {
    std::size_t size = index_ + 1 < kMaxChunks
                           ? kChunkSizes[prefix_.plan[index_ % 4] % kChunkSizes.size()]
                           : kWhole;
    if (size > rest_.size()) size = rest_.size();
    auto chunk = rest_.first(size);
    rest_ = rest_.subspan(size);
    ++index_;
    return chunk;
  }

  // How far the clock moves before the chunk about to be taken.
  protocol::Millis time_step() const {
    unsigned shift = (index_ % 2) * 3;
    return kTimeSteps[(prefix_.time >> shift) & 7];
  }

 private:
  Prefix prefix_;
  std::span<const std::uint8_t> rest_;
  std::size_t index_ = 0;
};

// --- fixed secrets: the seed generator records handshakes with them, the targets replay them --

inline constexpr std::string_view kDeviceId = "fuzz-device-1";
inline constexpr protocol::DeviceKey kDeviceKey = {
    0x6b, 0x69, 0x74, 0x65, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31,
    0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
inline constexpr protocol::Nonce kClientNonce = {
    0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0,
    0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0};
inline constexpr protocol::Nonce kServerNonce = {
    0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70};
inline constexpr std::array<std::uint8_t, 16> kTokenKey = {'k', 'i', 't', 'e', '-', 't', 'o', 'k',
                                                           'e', 'n', '-', 'k', 'e', 'y', '-', '1'};
inline constexpr std::uint64_t kTokenNow = 1'700'000'000;  // the fixed "now" of fuzz_token
inline constexpr protocol::Millis kStartTime = 1'000'000;  // the sessions' clock at creation
inline constexpr std::uint16_t kDictionaryId = 1;

// Raw-content dictionary: words that Kite messages are made of.
inline std::vector<std::uint8_t> dictionary_bytes() {
  std::string text;
  for (int i = 0; i < 8; ++i)
    text += "telemetry/temperature application/json {\"device\":\"fuzz-device-1\",\"seq\":";
  return {text.begin(), text.end()};
}

inline std::shared_ptr<const protocol::DictionarySet> dictionaries() {
  static const auto set = [] {
    auto s = std::make_shared<protocol::DictionarySet>();
    auto bytes = dictionary_bytes();
    if (!s->add(kDictionaryId, bytes)) std::abort();
    return s;
  }();
  return set;
}

// Small windows and thresholds so that credit, acks and compression happen on short inputs.
inline protocol::SessionConfig session_config(bool use_dictionary) {
  protocol::SessionConfig config;
  config.max_frame = 64u << 10;
  config.receive_window = 8;
  config.ack_every = 2;
  config.ack_delay = 20;
  config.keepalive_ms = 10'000;
  config.compression.threshold = 128;
  config.compression.dictionary_threshold = 32;
  config.compression.dictionary = use_dictionary ? kDictionaryId : 0;
  config.dictionaries = dictionaries();
  return config;
}

// Payload sizes the handlers publish with, chosen by input bits.
inline constexpr std::array<std::size_t, 8> kPayloadSizes = {0,    1,     64,     300,
                                                             1024, 9'000, 20'000, 70'000};

// The same bytes for the same (size, salt), made once: filling 70,000 bytes byte by byte under
// the sanitizers took about a millisecond, up to a dozen times per input.
inline const std::vector<std::uint8_t>& make_payload(std::size_t size, std::uint8_t salt) {
  static std::map<std::pair<std::size_t, std::uint8_t>, std::vector<std::uint8_t>> made;
  auto [at, inserted] = made.try_emplace({size, salt});
  std::vector<std::uint8_t>& payload = at->second;
  if (inserted) {
    payload.resize(size);
    for (std::size_t i = 0; i < size; ++i)
      payload[i] = static_cast<std::uint8_t>((i % 64 == 0 ? salt : 'a') + (i / 4096));
  }
  return payload;
}

// Decodes what a session emitted, as its peer would: every frame must pass the decoder and the
// body decoder under the limit the peer announced (peer_max_frame), both on the wire and once
// inflated. A session that emits something its peer must refuse has a bug.
class OutputChecker {
 public:
  void check(std::span<const std::uint8_t> output, std::uint32_t peer_max_frame) {
    if (output.empty()) return;
    protocol::FrameDecoder decoder(peer_max_frame);
    buffer_.assign(output.begin(), output.end());
    decoder.feed({buffer_.data(), buffer_.size()});
    for (;;) {
      protocol::DecodeResult result = decoder.next();
      if (result.status == protocol::DecodeResult::Status::NeedMore) break;
      KITE_FUZZ_CHECK(result.status == protocol::DecodeResult::Status::Frame);
      const wire::Frame* frame = nullptr;
      KITE_FUZZ_CHECK(body_.decode(result.frame, peer_max_frame, frame) == protocol::Reason::None);
    }
    KITE_FUZZ_CHECK(decoder.finish() == protocol::Reason::None);
  }

 private:
  std::vector<std::uint8_t> buffer_;
  protocol::BodyDecoder body_{dictionaries()};
};

}  // namespace kite::fuzz
