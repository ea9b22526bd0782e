#include "kite/protocol/frame_codec.h"

#include <cstring>

#include "body_extent.h"

namespace kite::protocol {

BodyDecoder::BodyDecoder(std::shared_ptr<const DictionarySet> dictionaries)
    : decompressor_(std::move(dictionaries)) {}

Reason BodyDecoder::decode(const RawFrame& raw, std::uint32_t max_body, const wire::Frame*& frame) {
  std::span<const std::uint8_t> body = raw.body;
  if (raw.header.compressed()) {
    Reason reason = decompressor_.decompress(body, raw.header.dictionary, max_body, inflated_);
    if (reason != Reason::None) return reason;
    body = inflated_.view();
  }
  last_body_size_ = body.size();
  flatbuffers::Verifier::Options options;
  options.max_depth = kVerifierMaxDepth;
  options.max_tables = kVerifierMaxTables;
  options.check_nested_flatbuffers = false;
  flatbuffers::Verifier verifier(body.data(), body.size(), options);
  if (body.size() < sizeof(flatbuffers::uoffset_t) || !wire::VerifyFrameBuffer(verifier))
    return Reason::InvalidBody;
  frame = wire::GetFrame(body.data());
  // The Verifier accepts an absent union table; a Kite frame always carries its message.
  if (frame->message_type() == wire::Message::NONE || frame->message() == nullptr)
    return Reason::InvalidBody;
  // Nor a tail of unreferenced bytes larger than the frame itself (body_extent.h).
  if (!detail::tail_acceptable(detail::body_extent(*frame, body.data()), body.size()))
    return Reason::InvalidBody;
  return Reason::None;
}

FrameEncoder::FrameEncoder(std::shared_ptr<const DictionarySet> dictionaries)
    : builder_(1024), compressor_(std::move(dictionaries)) {}

flatbuffers::FlatBufferBuilder& FrameEncoder::start() {
  builder_.Clear();
  return builder_;
}

std::size_t FrameEncoder::append_frame(std::span<const std::uint8_t> body,
                                       std::vector<std::uint8_t>& out, std::size_t max_body,
                                       bool compressible) {
  // The peer bounds the decompressed size too, so the limit applies before compression.
  if (body.size() > max_body) return 0;
  std::size_t plain_size = body.size();
  FrameHeader header;
  if (compressible && compressor_.compress(body, settings_, compressed_, header.dictionary)) {
    header.flags |= flags::kCompressed;
    body = compressed_.view();
  }
  header.length = static_cast<std::uint32_t>(body.size());
  append_raw_frame(header, body, out);
  ++stats_.frames;
  if (header.flags & flags::kCompressed) ++stats_.compressed_frames;
  stats_.body_bytes += plain_size;
  stats_.wire_body_bytes += body.size();
  return plain_size;
}

void append_raw_frame(const FrameHeader& header, std::span<const std::uint8_t> body,
                      std::vector<std::uint8_t>& out) {
  std::size_t at = out.size();
  out.resize(at + frame_size(body.size()));  // value-initialised: the padding is zero
  write_header(header, out.data() + at);
  if (!body.empty()) std::memcpy(out.data() + at + kHeaderSize, body.data(), body.size());
}

}  // namespace kite::protocol
