// What `kite decode` says about one frame: its header (length, flags, dictionary, compressed),
// its message type and every field of the message (as the schema has them: schema_fields.h), or
// why it cannot be decoded. One ordered JSON object that --json prints as it is and the text
// output renders as `name=value` pairs.
//
// Byte fields (payloads, nonces, proofs, tokens) become {"text": ...} when they are printable
// UTF-8, else {"hex": ...}, cut to max_payload bytes (0: never) with "size" the whole length and
// "truncated": true when cut.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "decode/schema_fields.h"
#include "kite/protocol/frame_codec.h"

namespace kite::cli {

class FrameDescriber {
 public:
  // Bodies compressed with a dictionary decode when it is among `dictionaries`.
  explicit FrameDescriber(std::size_t max_payload,
                          std::shared_ptr<const protocol::DictionarySet> dictionaries = nullptr);

  // Fields "header", "type", "message", and "error" when the frame cannot be (fully) decoded.
  // `frame` is a whole frame as it travelled: header, body, padding.
  nlohmann::ordered_json describe(std::span<const std::uint8_t> frame);

 private:
  std::shared_ptr<const protocol::DictionarySet> dictionaries_;
  protocol::BodyDecoder bodies_;
  protocol::AlignedBuffer aligned_;
  SchemaFields fields_;
};

}  // namespace kite::cli
