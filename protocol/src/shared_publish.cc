#include "kite/protocol/shared_publish.h"

#include "publish_body.h"

namespace kite::protocol {
namespace {

// Encodes `message` into `out` with the encoder's settings, `dictionary` as the one to use.
// Returns the body size before compression, 0 when it is above the absolute limit.
std::size_t encode_once(FrameEncoder& encoder, const OutgoingMessage& message,
                        std::uint16_t dictionary, SharedPublish::Encoding& out) {
  encoder.compression().dictionary = dictionary;
  const std::uint64_t compressed_before = encoder.stats().compressed_frames;
  const std::uint64_t wire_before = encoder.stats().wire_body_bytes;
  auto& b = encoder.start();
  const std::size_t body = encoder.finish(build_publish(b, 0, message), out.frame);
  out.compressed = encoder.stats().compressed_frames != compressed_before;
  out.wire_body = static_cast<std::uint32_t>(encoder.stats().wire_body_bytes - wire_before);
  return body;
}

}  // namespace

std::optional<SharedPublish> SharedPublish::encode(FrameEncoder& encoder,
                                                   const OutgoingMessage& message,
                                                   std::uint16_t dictionary) {
  if (message.qos != Qos::AtMostOnce || !publish_fields_fit(message)) return std::nullopt;
  const std::uint16_t callers_dictionary = encoder.compression().dictionary;
  SharedPublish shared;
  const std::size_t body = encode_once(encoder, message, 0, shared.plain_);
  if (body == 0) {
    encoder.compression().dictionary = callers_dictionary;
    return std::nullopt;
  }
  shared.body_size_ = static_cast<std::uint32_t>(body);
  if (dictionary != 0) {
    // Worth keeping only when the dictionary made the body compress.
    if (encode_once(encoder, message, dictionary, shared.with_dictionary_) != 0 &&
        shared.with_dictionary_.compressed)
      shared.dictionary_ = dictionary;
    else
      shared.with_dictionary_ = {};
  }
  encoder.compression().dictionary = callers_dictionary;
  return shared;
}

}  // namespace kite::protocol
