// The report of `kite bench storm`: text for a person, or one JSON object (--json) for
// tests/bench/storm, whose analysis re-bins the opening curve around the instant it drained or
// killed kited. The run fails (exit code 1) when anything accepted was lost or handed to an app
// twice, an uplink failed, a session came back without its history, or a device was not
// connected at the end.
#pragma once

#include "bench/bench.h"
#include "bench/run_report.h"

namespace kite::bench {

void print_storm(const BenchOptions& options, const RunReport& report);
int storm_exit_code(const RunReport& report);

}  // namespace kite::bench
