// The parent of `kite bench ... --processes N`: starts N children (child_process.h), each with
// its slice of the devices (slice.h), and while they run prints one progress line a second for
// all of them (their progress lines added up). p2p, uplink and idle children say when their
// devices are connected; once all have, the parent tells them all to start, so that they measure
// the same seconds (idle: it reads kited's memory itself, after --seconds, then tells them to
// stop). At the end it merges their reports (counts, latency histograms bucket by bucket,
// errors) into one, printed like a one-process report.
//
// A child that dies, or ends without a report, is named with its exit status; the others are
// stopped and the exit code is 1. SIGINT and SIGTERM stop the children too: none is left behind.
#pragma once

#include "bench/bench.h"

namespace kite::bench {

int run_in_processes(Scenario scenario, const BenchOptions& options);

}  // namespace kite::bench
