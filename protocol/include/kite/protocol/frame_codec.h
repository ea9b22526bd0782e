// From a frame body to a verified message, and from a message to framed bytes.
//
// Rules it keeps:
//  - no field of a body is read before the FlatBuffers Verifier accepted it, under limits tighter
//    than FlatBuffers' defaults (a Kite frame is shallow and has few tables);
//  - compressed bodies are inflated into a reused buffer bounded by the maximum body size;
//  - a body whose unreferenced tail is larger than its data is refused (src/body_extent.h);
//  - encoding reuses one builder and one compression buffer: no allocation in steady state.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "kite/protocol/compression.h"
#include "kite/protocol/frame_decoder.h"
#include "kite/protocol/frame_header.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

// Depth: Frame -> message table -> vector -> string is 4; leave room for growth, not abuse.
inline constexpr unsigned kVerifierMaxDepth = 8;
inline constexpr unsigned kVerifierMaxTables = 16;

class BodyDecoder {
 public:
  explicit BodyDecoder(std::shared_ptr<const DictionarySet> dictionaries = nullptr);

  // Inflates (if compressed) and verifies `raw`; on success points `frame` at the message, valid
  // until the next call or until `raw.body` goes away. Reasons: DecompressionBomb,
  // DecompressionFailed, UnknownDictionary, InvalidBody.
  Reason decode(const RawFrame& raw, std::uint32_t max_body, const wire::Frame*& frame);
  // The size of the last body decode() verified, after decompression.
  std::size_t last_body_size() const { return last_body_size_; }

 private:
  Decompressor decompressor_;
  AlignedBuffer inflated_;
  std::size_t last_body_size_ = 0;
};

// What one FrameEncoder has written: frame bodies before compression and as they went on the
// wire (compressed or not), for the compression ratio. Plain counters: an encoder has one thread.
struct EncoderStats {
  std::uint64_t frames = 0, compressed_frames = 0;
  std::uint64_t body_bytes = 0, wire_body_bytes = 0;
};

class FrameEncoder {
 public:
  explicit FrameEncoder(std::shared_ptr<const DictionarySet> dictionaries = nullptr);

  // Clears and returns the builder for the next message.
  flatbuffers::FlatBufferBuilder& start();

  // Wraps `message` (built with the builder from start()) in a Frame, compresses it when that
  // pays, and appends header, body and padding to `out`. Returns the body size before
  // compression, or 0 (appending nothing) when that is above `max_body`, the peer's limit.
  template <typename Message>
  std::size_t finish(flatbuffers::Offset<Message> message, std::vector<std::uint8_t>& out,
                     std::size_t max_body = kAbsoluteMaxBody) {
    auto frame =
        wire::CreateFrame(builder_, wire::MessageTraits<Message>::enum_value, message.Union());
    builder_.Finish(frame);
    return append_frame({builder_.GetBufferPointer(), builder_.GetSize()}, out, max_body,
                        worth_compressing<Message>());
  }

  // Control frames (acks, credit, pings, errors, goaways, the challenge and the proof) are small
  // and of a fixed shape: compressing them never pays, and an attempt that does not pay makes
  // the compressor skip the next candidates (its back-off), which would be a payload.
  template <typename Message>
  static constexpr bool worth_compressing() {
    return !(std::is_same_v<Message, wire::Ack> || std::is_same_v<Message, wire::Credit> ||
             std::is_same_v<Message, wire::Ping> || std::is_same_v<Message, wire::Pong> ||
             std::is_same_v<Message, wire::Error> || std::is_same_v<Message, wire::Goaway> ||
             std::is_same_v<Message, wire::Challenge> || std::is_same_v<Message, wire::Auth>);
  }

  CompressionSettings& compression() { return settings_; }
  const EncoderStats& stats() const { return stats_; }
  // Counts a frame another encoder built that is written through this one's sessions (a
  // SharedPublish), so that the stats say what went on the wire.
  void count_frame(std::size_t body, std::size_t wire_body, bool compressed) {
    ++stats_.frames;
    if (compressed) ++stats_.compressed_frames;
    stats_.body_bytes += body;
    stats_.wire_body_bytes += wire_body;
  }

 private:
  std::size_t append_frame(std::span<const std::uint8_t> body, std::vector<std::uint8_t>& out,
                           std::size_t max_body, bool compressible = true);

  flatbuffers::FlatBufferBuilder builder_;
  Compressor compressor_;
  CompressionSettings settings_;
  AlignedBuffer compressed_;
  EncoderStats stats_;
};

// Appends one frame holding `body` as it is (already encoded, maybe compressed) to `out`.
void append_raw_frame(const FrameHeader& header, std::span<const std::uint8_t> body,
                      std::vector<std::uint8_t>& out);

}  // namespace kite::protocol
