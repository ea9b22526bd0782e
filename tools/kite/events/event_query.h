// The path and query of GET /v1/events for kite's settings (server/api/event_query.h reads it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "events/events_settings.h"

namespace kite::cli {

// "/v1/events?type=uplink&device=a&group=g": the filters, each value escaped, and the consumer
// group and member when reading as one.
std::string events_path(const EventsSettings& settings);

// The same with "after" (when set) and "wait" and "limit": one long-poll; "ack" when set (a
// consumer group member acknowledging what it printed).
std::string poll_path(const EventsSettings& settings, std::optional<std::uint64_t> after,
                      std::uint64_t wait_ms, std::uint64_t limit,
                      std::optional<std::uint64_t> ack = std::nullopt);

}  // namespace kite::cli
