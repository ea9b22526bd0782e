#include "events/event.h"

#include <fmt/format.h>

#include <array>
#include <limits>

#include "common/json_text.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/utf8.h"

namespace kite::server::events {
namespace {

constexpr std::array<std::string_view, kEventTypes> kTypeNames{
    "uplink", "connect", "disconnect", "receipt", "undelivered", "expired", "dropped"};

}  // namespace

std::string_view type_name(EventType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<EventType> parse_type(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  return std::nullopt;
}

// The device id goes first, raw, for filtering; the type, time and device fields every event
// starts with are the header's, written out by append_json (see EventView::data).
void EventBatch::start(EventType type, std::string_view device, std::int64_t time_ms) {
  headers_.push_back({time_ms, type, static_cast<std::uint32_t>(bytes_.size()),
                      static_cast<std::uint32_t>(device.size()), 0});
  bytes_ += device;
}

void EventBatch::field(std::string_view name, std::string_view text) {
  bytes_ += ",\"";
  bytes_ += name;
  bytes_ += "\":";
  json_text::append_string(bytes_, text);
}

void EventBatch::raw(std::string_view name, std::string_view json) {
  bytes_ += ",\"";
  bytes_ += name;
  bytes_ += "\":";
  bytes_ += json;
}

void EventBatch::finish() {
  bytes_.push_back('}');
  Header& header = headers_.back();
  header.data_size = static_cast<std::uint32_t>(bytes_.size() - header.offset - header.device_size);
}

void EventBatch::clear() {
  bytes_.clear();
  headers_.clear();
}

EventView EventBatch::view(const Header& header) const {
  std::string_view all(bytes_);
  return {0, header.time_ms, header.type, all.substr(header.offset, header.device_size),
          all.substr(header.offset + header.device_size, header.data_size)};
}

void EventBatch::uplink(std::string_view device, std::int64_t time_ms, const UplinkFields& fields) {
  start(EventType::Uplink, device, time_ms);
  raw("qos", fields.qos == 0 ? "0" : "1");
  if (fields.seq != 0) {
    bytes_ += R"(,"seq":)";
    fmt::format_to(std::back_inserter(bytes_), "{}", fields.seq);
  }
  if (!fields.topic.empty()) field("topic", fields.topic);
  if (!fields.content_type.empty()) field("content_type", fields.content_type);
  std::string_view text(reinterpret_cast<const char*>(fields.payload.data()),
                        fields.payload.size());
  if (protocol::is_utf8(text))
    field("payload", text);
  else
    field("payload_base64", protocol::base64url_encode(fields.payload));
  finish();
}

void EventBatch::connect(std::string_view device, std::int64_t time_ms, std::string_view ip,
                         bool resumed) {
  start(EventType::Connect, device, time_ms);
  field("ip", ip);
  raw("resumed", resumed ? "true" : "false");
  finish();
}

void EventBatch::disconnect(std::string_view device, std::int64_t time_ms, std::string_view reason,
                            bool by_peer) {
  start(EventType::Disconnect, device, time_ms);
  field("reason", reason);
  raw("by_peer", by_peer ? "true" : "false");
  finish();
}

void EventBatch::receipt(std::string_view device, std::int64_t time_ms, std::uint64_t seq,
                         std::string_view message_id) {
  start(EventType::Receipt, device, time_ms);
  bytes_ += R"(,"seq":)";
  fmt::format_to(std::back_inserter(bytes_), "{}", seq);
  field("message_id", message_id);
  finish();
}

void EventBatch::message(const MessageRef& message) {
  fmt::format_to(std::back_inserter(bytes_), R"(,"seq":{})", message.seq);
  if (!message.message_id.empty()) field("message_id", message.message_id);
  fmt::format_to(std::back_inserter(bytes_), R"(,"age_ms":{})", message.age_ms);
}

void EventBatch::undelivered(std::string_view device, std::int64_t time_ms,
                             const MessageRef& message, bool online, bool cancelled) {
  start(EventType::Undelivered, device, time_ms);
  this->message(message);
  raw("online", online ? "true" : "false");
  field("action", cancelled ? "cancelled" : "kept");
  finish();
}

void EventBatch::expired(std::string_view device, std::int64_t time_ms, const MessageRef& message) {
  start(EventType::Expired, device, time_ms);
  this->message(message);
  finish();
}

void EventBatch::dropped(std::string_view device, std::int64_t time_ms, const MessageRef& message,
                         std::string_view reason) {
  start(EventType::Dropped, device, time_ms);
  this->message(message);
  field("reason", reason);
  finish();
}

namespace {

// "type":"connect","time":1765000000000,"device":"bench-7"
void append_common_fields(std::string& out, const EventView& event) {
  fmt::format_to(std::back_inserter(out), R"("type":"{}","time":{},"device":)",
                 type_name(event.type), event.time_ms);
  json_text::append_string(out, event.device);
}

// Everything after the object's opening brace: the common fields, then the event's own (or, for
// a whole object an older kited kept, the rest of that object).
void append_body(std::string& out, const EventView& event) {
  if (event.data.starts_with('{')) {
    out.append(event.data.substr(1));
    return;
  }
  append_common_fields(out, event);
  out.append(event.data);
}

}  // namespace

bool well_formed_fields(std::string_view data) {
  return data.ends_with('}') && (data.starts_with('{') || data.starts_with(','));
}

void append_json(std::string& out, const EventView& event) {
  fmt::format_to(std::back_inserter(out), R"({{"id":"{}",)", event.id);
  append_body(out, event);
}

void append_whole(std::string& out, const EventView& event) {
  out.push_back('{');
  append_body(out, event);
}

std::string_view own_fields(const EventView& event, std::string& scratch) {
  if (!event.data.starts_with('{')) return event.data;
  scratch.clear();  // not assign("{"): GCC 12 warns of a false overlap there (-Wrestrict)
  scratch.push_back('{');
  append_common_fields(scratch, event);
  if (!event.data.starts_with(scratch)) return event.data;  // not as append_whole writes it
  const std::string_view rest = event.data.substr(scratch.size());
  return rest.starts_with(',') ? rest : event.data;
}

void append_sse(std::string& out, const EventView& event) {
  // The data is one line: JSON text escapes every newline inside strings.
  fmt::format_to(std::back_inserter(out), "id: {}\nevent: {}\ndata: ", event.id,
                 type_name(event.type));
  append_json(out, event);
  out += "\n\n";
}

}  // namespace kite::server::events
