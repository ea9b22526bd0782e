// What the event log tests share: reading everything held after an id in one go.
#pragma once

#include <vector>

#include "events/event_log.h"

namespace kite::server::events {

inline std::vector<Event> read_all(const EventLog& log, std::uint64_t after,
                                   ReadResult* result = nullptr) {
  std::vector<Event> out;
  auto r = log.read(after, nullptr, 1'000'000, 1u << 30, 1'000'000, out);
  if (result) *result = r;
  return out;
}

}  // namespace kite::server::events
