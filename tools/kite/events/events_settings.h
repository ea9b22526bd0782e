// What `kite events` was asked for, read from its command line (events/events.cc) and used by
// both ways of reading the events: the stream (events/event_stream.h) and the long-poll
// (events/event_poll.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flags/api_flags.h"

namespace kite::cli {

struct EventsSettings {
  ApiOptions api;
  // Filters, as GET /v1/events takes them (type=, device=, group=).
  std::vector<std::string> types, devices, device_groups;
  std::optional<std::uint64_t> after;  // where to start; none: from now on
  bool poll = false;                   // long-poll instead of a stream
  bool once = false;                   // one answer, then exit
  std::uint64_t wait_ms = 30'000;      // --poll: how long one poll may wait for events
  std::uint64_t limit = 1000;          // --poll and --once: events per answer
  std::uint64_t count = 0;             // -C: stop after this many events; 0: never
  std::uint64_t timeout_ms = 0;        // -W: give up after this long; 0: never
  // Read as one member of a consumer group (both set, or neither), acknowledging with --ack.
  std::string consumer_group, member;
  bool ack = false;
};

}  // namespace kite::cli
