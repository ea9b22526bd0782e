#include "events/event.h"

#include <fmt/format.h>

#include <array>

#include "common/json_text.h"
#include "kite/protocol/base64url.h"

namespace kite::server::events {
namespace {

constexpr std::array<std::string_view, kEventTypes> kTypeNames{"uplink", "connect", "disconnect",
                                                               "receipt"};

// The fields every event starts with.
Event start(EventType type, std::string_view device, std::int64_t time_ms) {
  Event event;
  event.type = type;
  event.time_ms = time_ms;
  event.device = device;
  event.data.reserve(128);
  event.data += R"({"type":")";
  event.data += type_name(type);
  event.data += R"(","time":)";
  fmt::format_to(std::back_inserter(event.data), "{}", time_ms);
  event.data += R"(,"device":)";
  json_text::append_string(event.data, device);
  return event;
}

void add_string(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  json_text::append_string(out, value);
}

void add_raw(std::string& out, std::string_view name, std::string_view json) {
  out += ",\"";
  out += name;
  out += "\":";
  out += json;
}

}  // namespace

std::string_view type_name(EventType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<EventType> parse_type(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  return std::nullopt;
}

Event make_uplink(std::string_view device, std::int64_t time_ms, const UplinkFields& fields) {
  Event event = start(EventType::Uplink, device, time_ms);
  std::string& out = event.data;
  add_raw(out, "qos", fields.qos == 0 ? "0" : "1");
  if (fields.seq != 0) add_raw(out, "seq", fmt::format("{}", fields.seq));
  if (!fields.topic.empty()) add_string(out, "topic", fields.topic);
  if (!fields.content_type.empty()) add_string(out, "content_type", fields.content_type);
  std::string_view text(reinterpret_cast<const char*>(fields.payload.data()),
                        fields.payload.size());
  if (json_text::is_utf8(text))
    add_string(out, "payload", text);
  else
    add_string(out, "payload_base64", protocol::base64url_encode(fields.payload));
  out.push_back('}');
  return event;
}

Event make_connect(std::string_view device, std::int64_t time_ms, std::string_view ip,
                   bool resumed) {
  Event event = start(EventType::Connect, device, time_ms);
  add_string(event.data, "ip", ip);
  add_raw(event.data, "resumed", resumed ? "true" : "false");
  event.data.push_back('}');
  return event;
}

Event make_disconnect(std::string_view device, std::int64_t time_ms, std::string_view reason,
                      bool by_peer) {
  Event event = start(EventType::Disconnect, device, time_ms);
  add_string(event.data, "reason", reason);
  add_raw(event.data, "by_peer", by_peer ? "true" : "false");
  event.data.push_back('}');
  return event;
}

Event make_receipt(std::string_view device, std::int64_t time_ms, std::uint64_t seq,
                   std::string_view message_id) {
  Event event = start(EventType::Receipt, device, time_ms);
  add_raw(event.data, "seq", fmt::format("{}", seq));
  add_string(event.data, "message_id", message_id);
  event.data.push_back('}');
  return event;
}

void append_json(std::string& out, const Event& event) {
  fmt::format_to(std::back_inserter(out), R"({{"id":"{}",)", event.id);
  out.append(event.data, 1);  // the object without its opening brace
}

void append_sse(std::string& out, const Event& event) {
  // The data is one line: JSON text escapes every newline inside strings.
  fmt::format_to(std::back_inserter(out), "id: {}\nevent: {}\ndata: ", event.id,
                 type_name(event.type));
  append_json(out, event);
  out += "\n\n";
}

}  // namespace kite::server::events
