// What the bench scenarios share: identities, the target address, clocks, report formatting.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/bench.h"
#include "bench/client_loop.h"
#include "bench/histogram.h"

namespace kite::bench {

// The device with index i: id "bench-<base+i>", key derived from the master key.
Identity device_identity(const BenchOptions& options, std::uint32_t i);
Identity service_identity(const BenchOptions& options);
// "" or what is wrong.
std::string target_address(const BenchOptions& options, sockaddr_storage& out);
// With --tls, gives `loop` the TLS context its clients' channels come from; "" or what is wrong
// (a CA file that does not load).
std::string use_tls(const BenchOptions& options, ClientLoop& loop);
// The local address for client i (spreads over 250 loopback addresses), or "".
std::string source_address(const BenchOptions& options, std::uint32_t i);
protocol::SessionConfig client_config();

inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string latency_line(const Histogram& h);
std::string latency_json(const Histogram& h);

}  // namespace kite::bench
