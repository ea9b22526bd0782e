#include "decode/decode_message.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "common/frame_reader.h"
#include "kite/capture/frame_splitter.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/reason.h"
#include "kite/protocol/utf8.h"

namespace kite::cli {
namespace {

using Json = nlohmann::ordered_json;

// Text a terminal shows as it is: well-formed UTF-8 without control characters (tab, newline
// and carriage return aside, which the output escapes).
bool printable(std::string_view bytes) {
  for (unsigned char c : bytes)
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
  return protocol::is_utf8(bytes);
}

// The longest prefix of at most `max` bytes that does not end inside a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end);
}

std::string body_problem(protocol::Reason reason) {
  const std::string name(protocol::reason_name(reason));
  switch (reason) {
    case protocol::Reason::InvalidBody:
      return name + ": the body is not a Kite message (FlatBuffers verification failed)";
    case protocol::Reason::DecompressionFailed:
      return name + ": the body is not valid zstd data";
    case protocol::Reason::DecompressionBomb:
      return name + ": the zstd frame states no content size, or one above 16 MiB";
    default:
      return name;
  }
}

// A byte field as decode_message.h describes it.
Json bytes_field(std::span<const std::uint8_t> bytes, std::size_t max_payload) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t max = max_payload == 0 ? bytes.size() : max_payload;
  Json field;
  std::size_t shown = 0;
  if (printable(text)) {
    const std::string_view prefix = utf8_prefix(text, max);
    field["text"] = std::string(prefix);
    shown = prefix.size();
  } else {
    shown = std::min(max, bytes.size());
    field["hex"] = protocol::hex_encode(bytes.first(shown));
  }
  field["size"] = bytes.size();
  if (shown < bytes.size()) field["truncated"] = true;
  return field;
}

}  // namespace

FrameDescriber::FrameDescriber(std::size_t max_payload,
                               std::shared_ptr<const protocol::DictionarySet> dictionaries)
    : dictionaries_(dictionaries),
      bodies_(std::move(dictionaries)),
      fields_([max_payload](std::span<const std::uint8_t> bytes) {
        return bytes_field(bytes, max_payload);
      }) {}

Json FrameDescriber::describe(std::span<const std::uint8_t> frame) {
  Json out;
  protocol::FrameHeader header;
  if (frame.size() >= protocol::kHeaderSize) {
    // Read for display even when it fails its checks: read_header fills every field first.
    protocol::read_header(frame.first<protocol::kHeaderSize>(), protocol::kAbsoluteMaxBody, header);
    out["header"] = {{"length", header.length},
                     {"flags", header.flags},
                     {"dictionary", header.dictionary},
                     {"compressed", header.compressed()}};
  }
  if (std::string problem = capture::whole_frame_problem(frame, header); !problem.empty()) {
    out["error"] = std::move(problem);
    return out;
  }
  if (std::string problem = missing_dictionary(header, dictionaries_.get()); !problem.empty()) {
    out["error"] = std::move(problem);
    return out;
  }
  // FlatBuffers reads fields in place, so the body must be 8-byte aligned: copy it to be sure.
  aligned_.clear();
  aligned_.append(frame.subspan(protocol::kHeaderSize, header.length));
  const wire::Frame* message = nullptr;
  const protocol::Reason reason =
      bodies_.decode({header, aligned_.view()}, protocol::kAbsoluteMaxBody, message);
  if (reason != protocol::Reason::None) {
    out["error"] = body_problem(reason);
    return out;
  }
  const char* type = wire::EnumNameMessage(message->message_type());
  if (type == nullptr || *type == '\0') {
    out["type"] = static_cast<unsigned>(message->message_type());
    out["error"] = "message type " +
                   std::to_string(static_cast<unsigned>(message->message_type())) +
                   " is unknown to this kite (a newer protocol?)";
    return out;
  }
  out["type"] = type;
  out["message"] = fields_.message(*message);
  return out;
}

}  // namespace kite::cli
