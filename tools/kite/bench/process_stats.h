// CPU time and resident memory of a process, from /proc: the server's cost as the benchmarks
// report it (per core of CPU time, not per wall-clock second).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kite::bench {

// User + system CPU seconds consumed by `pid` so far.
std::optional<double> cpu_seconds(int pid);
// VmRSS of `pid` in bytes.
std::optional<std::uint64_t> resident_bytes(int pid);

}  // namespace kite::bench
