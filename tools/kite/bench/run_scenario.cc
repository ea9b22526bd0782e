// Where a run of conn, idle, p2p, uplink or storm happens: in this process (its report printed
// here), as a child of --processes (its report goes to the parent on stdout), or as that parent.
#include <fmt/format.h>

#include <cstdio>

#include "bench/child_wire.h"
#include "bench/common.h"
#include "bench/process_parent.h"
#include "bench/report_print.h"
#include "bench/scenarios.h"
#include "bench/slice.h"
#include "common/exit_code.h"

namespace kite::bench {
namespace {

using cli::kExitUsage;

RunReport measure(Scenario scenario, const BenchOptions& options) {
  switch (scenario) {
    case Scenario::Conn:
      return measure_conn(options);
    case Scenario::Idle:
      return measure_idle(options);
    case Scenario::P2p:
      return measure_p2p(options);
    case Scenario::Uplink:
      return measure_uplink(options);
    case Scenario::Storm:
      return measure_storm(options);
  }
  return {};
}

}  // namespace

std::string_view scenario_name(Scenario scenario) {
  switch (scenario) {
    case Scenario::Conn:
      return "conn";
    case Scenario::Idle:
      return "idle";
    case Scenario::P2p:
      return "p2p";
    case Scenario::Uplink:
      return "uplink";
    case Scenario::Storm:
      return "storm";
  }
  return "?";
}

int run_scenario(Scenario scenario, const BenchOptions& options) {
  if (options.child_count != 0) {
    const BenchOptions mine = slice_for_child(options, options.child_index, options.child_count);
    const RunReport report = measure(scenario, mine);
    std::fputs((report_line(report) + "\n").c_str(), stdout);
    std::fflush(stdout);
    return report.setup_error.empty() ? report_exit_code(scenario, report) : kExitUsage;
  }
  if (options.processes > 1) {
    sockaddr_storage target{};  // a wrong --host is said once, not by every child
    if (auto error = target_address(options, target); !error.empty()) {
      fmt::print(stderr, "kite bench: {}\n", error);
      return kExitUsage;
    }
    return run_in_processes(scenario, options);
  }
  const RunReport report = measure(scenario, options);
  if (!report.setup_error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", report.setup_error);
    return kExitUsage;
  }
  print_report(scenario, options, report);
  return report_exit_code(scenario, report);
}

}  // namespace kite::bench
