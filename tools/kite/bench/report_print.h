// The final report of conn, idle, p2p or uplink, the same for one process and for the merged
// report of --processes: text on stdout, or one JSON object with --json; and the exit code the
// run earns.
#pragma once

#include "bench/bench.h"
#include "bench/run_report.h"

namespace kite::bench {

// `options` as the user gave them (the whole run's --devices, --rate, --window).
void print_report(Scenario scenario, const BenchOptions& options, const RunReport& report);
// 0 (kExitOk) when the run did what was asked without an error, else 1 (kExitFailed).
int report_exit_code(Scenario scenario, const RunReport& report);

}  // namespace kite::bench
