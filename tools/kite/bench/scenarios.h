// One process's part of a run of each scenario: it runs against kited, tells its progress
// through a RunLink, and returns what it measured. Each is a ScenarioRun (scenario_run.h) in
// scenario_<name>.cc. run_scenario() (run_scenario.cc) prints the report, or sends it to the
// parent of --processes, which merges the children's.
#pragma once

#include "bench/bench.h"
#include "bench/run_report.h"

namespace kite::bench {

RunReport measure_conn(const BenchOptions& options);
RunReport measure_idle(const BenchOptions& options);
RunReport measure_p2p(const BenchOptions& options);
RunReport measure_uplink(const BenchOptions& options);
RunReport measure_storm(const BenchOptions& options);

}  // namespace kite::bench
