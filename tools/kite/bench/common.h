// What the bench scenarios share: identities, the target address, clocks, report formatting.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench/bench.h"
#include "bench/histogram.h"
#include "raw_client/client_loop.h"

namespace kite::bench {

// This process's device i: id "bench-<id_base + first_device + i>", key derived from the master
// key.
Identity device_identity(const BenchOptions& options, std::uint32_t i);
Identity service_identity(const BenchOptions& options);
// "" or what is wrong.
std::string target_address(const BenchOptions& options, sockaddr_storage& out);
// Both of the next: --host and --port into `target`, and --tls into `loop`; "" or what is wrong.
std::string prepare_connections(const BenchOptions& options, ClientLoop& loop,
                                sockaddr_storage& target);
// With --tls, gives `loop` the TLS context its clients' channels come from; "" or what is wrong
// (a CA file that does not load).
std::string use_tls(const BenchOptions& options, ClientLoop& loop);
// The local address for this process's device i, or "": --source-prefix followed by
// 1 + (first_device + i) % 250, so that a device keeps its address whichever process runs it.
std::string source_address(const BenchOptions& options, std::uint32_t i);
protocol::SessionConfig client_config();

inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string latency_line(const Histogram& h);
// {"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..,"samples":..}
nlohmann::ordered_json latency_object(const Histogram& h);
std::string latency_json(const Histogram& h);

// "kite bench", or "kite bench [process 2/4]" in a child of --processes: what messages to the
// user (stderr) start with.
std::string speaker(const BenchOptions& options);
// Tells the user (stderr) about one of the first five failures of this process; the others are
// only counted. `failures` counts this one.
void say_failure(const BenchOptions& options, std::uint64_t failures, const std::string& who,
                 const std::string& kind, std::string_view detail);

}  // namespace kite::bench
