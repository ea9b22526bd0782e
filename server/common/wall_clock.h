// The wall clock (Unix epoch), for what outlives a process or crosses threads: store expiries,
// presence "since", event times, latencies measured from the API to the socket. Durations inside
// one loop use the loop's monotonic clock instead.
#pragma once

#include <cstdint>

namespace kite::server {

// Milliseconds since the Unix epoch.
std::int64_t wall_clock_ms();
// Microseconds since the Unix epoch.
std::int64_t wall_clock_us();

}  // namespace kite::server
