// Device events for the backends' event stream (GET /v1/events): an uplink message, a connect, a
// disconnect, a delivery receipt, or a queued message's other ends: expired, dropped, or not
// acknowledged by its fallback deadline (undelivered).
//
// An event's own fields are built once, on the worker thread where it happened, as JSON text
// (`data`); readers copy it out behind the fields every event has (id, type, time, device), which
// the log holds anyway. So a busy stream with many readers costs the workers nothing more, and
// the log keeps no byte twice.
//
// Events are built into an EventBatch: one reused buffer per worker for a loop turn, so building
// an event allocates nothing once the buffer has grown (one delivery receipt per message sent is
// on the hot path).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server::events {

// Stored by number in the durable log: new types go at the end.
enum class EventType : std::uint8_t {
  Uplink,
  Connect,
  Disconnect,
  Receipt,
  Undelivered,
  Expired,
  Dropped
};
inline constexpr std::size_t kEventTypes = 7;

std::string_view type_name(EventType type);
std::optional<EventType> parse_type(std::string_view name);

// An event as the log holds it, valid while the log's lock is held (see EventLog::Match).
struct EventView {
  std::uint64_t id = 0;
  std::int64_t time_ms = 0;
  EventType type = EventType::Uplink;
  std::string_view device;
  // The event's own fields, as the rest of a JSON object: `,"ip":"10.0.0.7","resumed":false}`.
  // "id", "type", "time" and "device" are written from the fields above by append_json, so each
  // event held in memory and in the store carries them once (a connect's body is a third of what
  // the whole object was). An event kept by a kited before 2026-12 holds the whole object,
  // `{"type":...}` without "id"; append_json tells the two apart by the first byte.
  std::string_view data;
};

// A reader's own copy of an event.
struct Event {
  std::uint64_t id = 0;
  std::int64_t time_ms = 0;
  EventType type = EventType::Uplink;
  std::string device;
  std::string data;

  EventView view() const { return {id, time_ms, type, device, data}; }
};

// A queued message the event is about: its seq, id and age when it happened.
struct MessageRef {
  std::uint64_t seq;
  std::string_view message_id;
  std::uint64_t age_ms;
};

struct UplinkFields {
  std::uint64_t seq;  // 0 for QoS 0 (at most once: no seq)
  std::uint8_t qos;
  std::string_view topic, content_type;
  std::span<const std::uint8_t> payload;
};

// Events being built on one thread, oldest first. Payloads are given as text when they are UTF-8
// ("payload"), else as base64url ("payload_base64"): the two forms the send API accepts.
class EventBatch {
 public:
  struct Header {
    std::int64_t time_ms;
    EventType type;
    std::uint32_t offset;  // of the device id in bytes(); the data follows it
    std::uint32_t device_size, data_size;
  };

  void uplink(std::string_view device, std::int64_t time_ms, const UplinkFields& fields);
  void connect(std::string_view device, std::int64_t time_ms, std::string_view ip, bool resumed);
  void disconnect(std::string_view device, std::int64_t time_ms, std::string_view reason,
                  bool by_peer);
  void receipt(std::string_view device, std::int64_t time_ms, std::uint64_t seq,
               std::string_view message_id);
  // Its fallback deadline passed unacknowledged; `cancelled`: it was removed from the queue.
  void undelivered(std::string_view device, std::int64_t time_ms, const MessageRef& message,
                   bool online, bool cancelled);
  void expired(std::string_view device, std::int64_t time_ms, const MessageRef& message);
  // Removed undelivered: "queue_full" (drop-oldest made room) or "too_large" (for its device).
  void dropped(std::string_view device, std::int64_t time_ms, const MessageRef& message,
               std::string_view reason);

  bool empty() const { return headers_.empty(); }
  std::size_t size() const { return headers_.size(); }
  void clear();  // keeps the memory for the next turn
  std::span<const Header> headers() const { return headers_; }
  EventView view(const Header& header) const;

 private:
  void start(EventType type, std::string_view device, std::int64_t time_ms);
  void field(std::string_view name, std::string_view text);  // a JSON string
  void raw(std::string_view name, std::string_view json);    // a JSON number or literal
  void message(const MessageRef& message);  // its seq, message_id and age_ms fields
  void finish();

  std::string bytes_;
  std::vector<Header> headers_;
};

// The event as one JSON object: {"id":"42","type":...,"time":...,"device":...,<its fields>}.
void append_json(std::string& out, const EventView& event);
// Whether `data` has one of the two forms EventView::data takes (from a store or a cluster's
// shared log, which another version may have written).
bool well_formed_fields(std::string_view data);
// The whole object without its id, {"type":...,"time":...,"device":...,<its fields>}: what a
// cluster's shared log holds, because a kited from before 2026-12 reads only that form, so nodes
// of both versions read each other's events during a rolling upgrade.
void append_whole(std::string& out, const EventView& event);
// The event's own fields when `event.data` is a whole object that starts with exactly the common
// fields (as append_whole writes them); `event.data` itself otherwise. `scratch` is working space.
std::string_view own_fields(const EventView& event, std::string& scratch);
// The event as a Server-Sent Events record: id, event (the type) and data lines, blank line.
void append_sse(std::string& out, const EventView& event);

}  // namespace kite::server::events
