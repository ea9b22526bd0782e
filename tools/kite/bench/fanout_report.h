// What `kite bench fanout` measured and how it is printed: text, or one JSON object (--json).
#pragma once

#include <cstdint>

#include "bench/bench.h"
#include "bench/error_tally.h"
#include "bench/histogram.h"

namespace kite::bench {

// The run's counters at one instant.
struct FanoutCounts {
  std::uint64_t delivered = 0;  // receipts, every member of every message
  std::uint64_t sent = 0;       // messages kited accepted
  std::uint64_t completed = 0;  // messages every member received
  double server_cpu = 0;        // kited's CPU seconds (--server-pid)
};

struct FanoutTotals {
  FanoutCounts at_start, at_end;  // the measured window's edges
  double measured_seconds = 0;
  std::uint64_t incomplete = 0;  // messages not received by every member within 5 s
  Histogram every_member, last_member;
  ErrorTally errors;
};

// Prints the report on stdout; returns the exit code (1 when anything failed or nothing arrived).
int print_fanout_report(const BenchOptions& options, const FanoutTotals& totals);

}  // namespace kite::bench
