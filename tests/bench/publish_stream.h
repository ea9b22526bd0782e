// Test data for the framing benchmarks: publishes encoded back to back into one 8-aligned buffer,
// as one coalesced socket read would deliver them, and a loop that decodes and verifies them.
//
//   words.data()                                                 (8-aligned)
//   | hdr | Publish body | pad | hdr | Publish body | pad | ... |   `frames` frames
//   |<------------- frame_bytes ------------>|
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kite/protocol/frame_codec.h"

namespace kite::bench {

inline constexpr char kTopic[] = "t/temp";

// `size` random (incompressible) bytes, the same for a given size.
std::vector<std::uint8_t> random_payload(std::size_t size);

// Appends one Publish (seq, qos 1, topic kTopic, payload) framed by `encoder` to `out`.
void encode_publish(protocol::FrameEncoder& encoder, std::uint64_t seq,
                    std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& out);

struct PublishStream {
  std::vector<std::uint64_t> words;  // storage: 8-aligned
  std::size_t offset = 0;            // where the first frame starts in `words` (misalign)
  std::size_t size = 0;              // bytes of frames
  std::size_t frames = 0;
  std::size_t frame_bytes = 0;  // every frame has the same size on the wire

  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(words.data()) + offset, size};
  }
  std::span<std::uint8_t> mutable_bytes() {
    return {reinterpret_cast<std::uint8_t*>(words.data()) + offset, size};
  }
};

// `frames` uncompressed publishes with seq first_seq, first_seq + 1, ..., `payload_size` bytes
// each, starting `misalign` bytes past an 8-byte boundary (0 for the normal, aligned case).
PublishStream make_publish_stream(std::size_t frames, std::size_t payload_size,
                                  std::uint64_t first_seq = 1, std::size_t misalign = 0);

// Where, inside each frame of `stream`, the 8 bytes of the Publish's seq field lie; lets a
// benchmark renumber the frames in place. Returns SIZE_MAX if not found.
std::size_t seq_offset_in_frame(std::size_t payload_size);

// Feeds nothing: decodes every frame the decoder holds until NeedMore, runs BodyDecoder::decode
// (FlatBuffers Verifier) on each and reads its seq and payload size. Returns the frame count, or
// SIZE_MAX on the first error.
std::size_t decode_and_verify_all(protocol::FrameDecoder& decoder, protocol::BodyDecoder& body);

}  // namespace kite::bench
