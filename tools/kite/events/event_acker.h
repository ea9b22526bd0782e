// `kite events --ack`: acknowledges, as one member of a consumer group, the events it has
// printed, so that kited does not give them to another member after its visibility timeout
// (events.consumer_visibility_ms). Acks are cumulative ("everything I was given up to this id"),
// so only the newest printed id matters. A poll carries it as ack= on the next request; a stream
// POSTs it to /v1/event-groups/{group}/ack on a connection of its own, batched (at most every
// 200 ms or 100 events) because one POST per event would double the work per event. Failures
// are said on stderr and never stop the reading: the worst they cause is a redelivery.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/api_client.h"
#include "events/event_printer.h"
#include "events/events_settings.h"

namespace kite::cli {

class EventAcker {
 public:
  explicit EventAcker(const EventsSettings& settings);

  bool enabled() const { return enabled_; }

  // --poll: the id to send as ack= on the next poll (none: nothing new printed).
  std::optional<std::uint64_t> poll_ack(const EventPrinter& printer) const;
  // --poll: a poll carrying ack= `id` was answered, so kited has it.
  void poll_acked(std::uint64_t id) { acked_through_ = id; }

  // Stream: POSTs the newest printed id when 100 events or 200 ms have gathered since the last.
  void post_if_due(const EventPrinter& printer);
  // How long a stream read may wait before post_if_due() has something to do (ms).
  std::uint64_t ms_until_due(const EventPrinter& printer, std::uint64_t longest) const;
  // At exit: POSTs whatever printed event is not acknowledged yet.
  void finish(const EventPrinter& printer);

 private:
  static constexpr std::uint64_t kBatchEvents = 100;
  static constexpr std::chrono::milliseconds kBatchInterval{200};

  bool pending(const EventPrinter& printer) const;
  void post(std::uint64_t through, std::uint64_t printed);

  bool enabled_;
  std::string group_, member_;
  ApiClient api_;  // its own connection: the stream's is busy with the stream
  std::uint64_t acked_through_ = 0;
  std::uint64_t printed_at_ack_ = 0;  // printer.printed() when the last ack was sent
  std::chrono::steady_clock::time_point last_post_{};
  bool failing_ = false;  // the last POST failed: said once, not on every retry
};

}  // namespace kite::cli
