// The query of GET /v1/events: which events a reader wants, from where, and how it waits.
//
//   ?type=uplink,receipt   event types (repeatable, comma-separated); default all
//   &device=a,b            only these devices (repeatable; at most kMaxDevices)
//   &group=g               only devices in one of these groups at the time the event is read
//   &after=ID              events after this id (Last-Event-ID, the header, wins); 0 = everything
//                          retained; absent = from now on
//   &wait=30s              long-poll instead of a stream: answer once events are there or the
//                          wait is over (ms, s or m; a bare number is seconds; at most 5 minutes)
//   &limit=N               long-poll: at most N events per answer (1..10000, default 1000)
//   &consumer_group=NAME   share the events with the other members of this consumer group
//   &member=NAME           (with consumer_group) this reader's member name
//   &ack=ID                (with consumer_group) every event given to this member up to ID is
//                          handled: a long-poll acknowledges and asks for more in one request
// ("group" filters by device group, which it meant before consumer groups existed.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event.h"
#include "http/message.h"

namespace kite::server::api {

struct EventQuery {
  static constexpr std::size_t kMaxDevices = 1000, kMaxGroups = 16, kMaxLimit = 10'000;
  static constexpr std::uint64_t kMaxWaitMs = 300'000;

  std::uint8_t types = (1u << events::kEventTypes) - 1;  // bit 1 << EventType
  std::vector<std::string> devices;                      // sorted, unique; empty = any
  std::vector<std::string> groups;                       // empty = any
  std::optional<std::uint64_t> after;
  std::optional<std::uint64_t> wait_ms;  // set: long-poll
  std::size_t limit = 1000;
  std::string consumer_group, member;  // consumer_group empty: a plain reader
  std::optional<std::uint64_t> ack;

  bool wants(events::EventType type) const {
    return (types >> static_cast<unsigned>(type) & 1) != 0;
  }
};

bool valid_consumer_name(std::string_view name);
bool parse_event_id(std::string_view text, std::uint64_t& id);  // a decimal event id

// "" and the query, or the problem detail for a 400 answer.
std::string parse_event_query(const http::HttpRequest& request, EventQuery& query);

}  // namespace kite::server::api
