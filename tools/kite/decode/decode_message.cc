#include "decode/decode_message.h"

#include <string>
#include <string_view>

#include "common/frame_reader.h"
#include "common/payload.h"
#include "flags/key_flags.h"
#include "kite/capture/frame_splitter.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/reason.h"
#include "kite/protocol/utf8.h"

namespace kite::cli {
namespace {

using Json = nlohmann::ordered_json;
using ByteVector = flatbuffers::Vector<std::uint8_t>;
using StringVector = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

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

std::span<const std::uint8_t> span_of(const ByteVector* v) {
  return v ? std::span<const std::uint8_t>(v->data(), v->size()) : std::span<const std::uint8_t>();
}

void put_string(Json& o, const char* name, const flatbuffers::String* s) {
  if (s) o[name] = s->str();
}

void put_strings(Json& o, const char* name, const StringVector* v) {
  if (!v) return;
  Json list = Json::array();
  for (const auto* s : *v) list.push_back(s ? s->str() : std::string());
  o[name] = std::move(list);
}

template <typename Enum>
Json enum_value(Enum value, const char* name) {
  if (name != nullptr && *name != '\0') return name;
  return static_cast<unsigned>(value);  // a value newer than this kite: its number
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

}  // namespace

Json FrameDescriber::bytes_field(std::span<const std::uint8_t> bytes) const {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t max = max_payload_ == 0 ? bytes.size() : max_payload_;
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
  out["message"] = message_fields(*message);
  return out;
}

Json FrameDescriber::message_fields(const wire::Frame& frame) const {
  Json o = Json::object();
  const auto bytes = [&](const char* name, const ByteVector* v) {
    if (v) o[name] = bytes_field(span_of(v));
  };
  switch (frame.message_type()) {
    case wire::Message::Hello: {
      const auto& m = *frame.message_as_Hello();
      o["version"] = m.version();
      put_string(o, "device_id", m.device_id());
      o["method"] = enum_value(m.method(), wire::EnumNameAuthMethod(m.method()));
      bytes("client_nonce", m.client_nonce());
      if (m.token())
        o["token"] = bytes_field(
            {reinterpret_cast<const std::uint8_t*>(m.token()->data()), m.token()->size()});
      o["keepalive_ms"] = m.keepalive_ms();
      o["max_frame"] = m.max_frame();
      o["credit"] = m.credit();
      bytes("resume_token", m.resume_token());
      o["last_received_seq"] = m.last_received_seq();
      o["store_epoch"] = m.store_epoch();
      if (m.dictionaries())
        o["dictionaries"] =
            std::vector<std::uint16_t>(m.dictionaries()->begin(), m.dictionaries()->end());
      put_string(o, "agent", m.agent());
      break;
    }
    case wire::Message::Challenge:
      bytes("server_nonce", frame.message_as_Challenge()->server_nonce());
      break;
    case wire::Message::Auth:
      bytes("proof", frame.message_as_Auth()->proof());
      break;
    case wire::Message::Welcome: {
      const auto& m = *frame.message_as_Welcome();
      o["resumed"] = m.resumed();
      bytes("resume_token", m.resume_token());
      o["store_epoch"] = m.store_epoch();
      o["last_received_seq"] = m.last_received_seq();
      o["next_seq"] = m.next_seq();
      o["keepalive_ms"] = m.keepalive_ms();
      o["max_frame"] = m.max_frame();
      o["credit"] = m.credit();
      o["dictionary"] = m.dictionary();
      bytes("server_proof", m.server_proof());
      put_strings(o, "groups", m.groups());
      break;
    }
    case wire::Message::Publish: {
      const auto& m = *frame.message_as_Publish();
      o["seq"] = m.seq();
      o["qos"] = enum_value(m.qos(), wire::EnumNameQos(m.qos()));
      o["ttl_ms"] = m.ttl_ms();
      put_string(o, "topic", m.topic());
      put_string(o, "content_type", m.content_type());
      put_string(o, "conflation_key", m.conflation_key());
      bytes("payload", m.payload());
      put_string(o, "message_id", m.message_id());
      put_string(o, "target", m.target());
      break;
    }
    case wire::Message::Ack:
      o["seq"] = frame.message_as_Ack()->seq();
      break;
    case wire::Message::Credit:
      o["grant"] = frame.message_as_Credit()->grant();
      break;
    case wire::Message::Ping:
      o["token"] = frame.message_as_Ping()->token();
      break;
    case wire::Message::Pong:
      o["token"] = frame.message_as_Pong()->token();
      break;
    case wire::Message::Command: {
      const auto& m = *frame.message_as_Command();
      o["id"] = m.id();
      put_string(o, "name", m.name());
      bytes("payload", m.payload());
      o["timeout_ms"] = m.timeout_ms();
      break;
    }
    case wire::Message::Reply: {
      const auto& m = *frame.message_as_Reply();
      o["id"] = m.id();
      o["status"] = m.status();
      bytes("payload", m.payload());
      break;
    }
    case wire::Message::Subscribe:
      o["request_id"] = frame.message_as_Subscribe()->request_id();
      put_strings(o, "groups", frame.message_as_Subscribe()->groups());
      break;
    case wire::Message::Unsubscribe:
      o["request_id"] = frame.message_as_Unsubscribe()->request_id();
      put_strings(o, "groups", frame.message_as_Unsubscribe()->groups());
      break;
    case wire::Message::Goaway: {
      const auto& m = *frame.message_as_Goaway();
      o["reason"] = enum_value(m.reason(), wire::EnumNameReason(m.reason()));
      o["reconnect_after_ms"] = m.reconnect_after_ms();
      put_string(o, "message", m.message());
      break;
    }
    case wire::Message::Error: {
      const auto& m = *frame.message_as_Error();
      o["reason"] = enum_value(m.reason(), wire::EnumNameReason(m.reason()));
      put_string(o, "message", m.message());
      o["ref"] = m.ref();
      break;
    }
    case wire::Message::NONE:
      break;
  }
  return o;
}

}  // namespace kite::cli
