// One device event for the backends' event stream (GET /v1/events): an uplink message, a
// connect, a disconnect, or a delivery receipt.
//
// An event is built once, on the worker thread where it happened, as the JSON object every reader
// gets (`data`, without its id: the log assigns ids in the order events reach it). Readers only
// copy it out, so a busy stream with many readers costs the workers nothing more.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kite::server::events {

enum class EventType : std::uint8_t { Uplink, Connect, Disconnect, Receipt };
inline constexpr std::size_t kEventTypes = 4;

std::string_view type_name(EventType type);
std::optional<EventType> parse_type(std::string_view name);

struct Event {
  std::uint64_t id = 0;  // assigned by EventLog::append
  std::int64_t time_ms = 0;
  EventType type = EventType::Uplink;
  std::string device;
  std::string data;  // {"type":...,"time":...,"device":...,...} without "id"

  std::size_t cost() const { return sizeof(Event) + device.capacity() + data.capacity(); }
};

// The event builders. Payloads are given as text when they are UTF-8 ("payload"), else as
// base64url ("payload_base64"), the same two forms the send API accepts.
struct UplinkFields {
  std::uint64_t seq;  // 0 for QoS 0 (at most once: no seq)
  std::uint8_t qos;
  std::string_view topic, content_type;
  std::span<const std::uint8_t> payload;
};
Event make_uplink(std::string_view device, std::int64_t time_ms, const UplinkFields& fields);
Event make_connect(std::string_view device, std::int64_t time_ms, std::string_view ip,
                   bool resumed);
Event make_disconnect(std::string_view device, std::int64_t time_ms, std::string_view reason,
                      bool by_peer);
Event make_receipt(std::string_view device, std::int64_t time_ms, std::uint64_t seq,
                   std::string_view message_id);

// The event as one JSON object with its id first: {"id":"42","type":...}.
void append_json(std::string& out, const Event& event);
// The event as a Server-Sent Events record: id, event (the type) and data lines, blank line.
void append_sse(std::string& out, const Event& event);

}  // namespace kite::server::events
