#include "bench/report_print.h"

#include <fmt/format.h>

#include <cmath>

#include "bench/common.h"
#include "bench/storm_report.h"
#include "common/exit_code.h"

namespace kite::bench {
namespace {

using nlohmann::ordered_json;

double per(double count, double seconds) {
  return seconds > 0 ? count / seconds : 0;
}

// Whole numbers for rates, hundredths for seconds and milliseconds for CPU time: figures to
// quote, not noise.
std::int64_t whole(double value) {
  return std::llround(value);
}
// `per_unit` 100: hundredths. Divided, not multiplied by 0.01: 301 / 100 is the double 3.01 is.
double rounded(double value, double per_unit) {
  return std::round(value * per_unit) / per_unit;
}

std::string in_processes(const BenchOptions& options) {
  return options.processes > 1 ? fmt::format(" in {} processes", options.processes) : "";
}

ordered_json head(Scenario scenario, const BenchOptions& options, const RunReport& report) {
  return {{"scenario", scenario_name(scenario)},
          {"processes", options.processes},
          {"devices", report.devices}};
}

void print_conn(const BenchOptions& options, const RunReport& r) {
  const double seconds = r.seconds(), cpu = r.server_cpu();
  const double rate = per(static_cast<double>(r.count), seconds);
  const double per_core = per(static_cast<double>(r.count), cpu);
  if (options.json) {
    ordered_json j = head(Scenario::Conn, options, r);
    j["connections"] = r.count;
    j["failed"] = r.errors.total();
    j["seconds"] = rounded(seconds, 100);
    j["per_s"] = whole(rate);
    j["server_cpu_s"] = rounded(cpu, 1000);
    j["per_server_core_s"] = whole(per_core);
    j["handshake"] = latency_object(r.latency);
    j["errors"] = r.errors.json();
    return fmt::print("{}\n", j.dump());
  }
  fmt::print("conn: {} connect+auth+close in {:.2f} s{}: {:.0f}/s{}; handshake {}; failed {}\n{}",
             r.count, seconds, in_processes(options), rate,
             cpu > 0 ? fmt::format(", {:.0f} per server core-second", per_core) : "",
             latency_line(r.latency), r.errors.total(), r.errors.text("     "));
}

void print_idle(const BenchOptions& options, const RunReport& r) {
  const std::uint64_t grown =
      r.server_rss_after - std::min(r.server_rss_after, r.server_rss_before);
  const double per_connection = per(static_cast<double>(grown), static_cast<double>(r.connected));
  if (options.json) {
    ordered_json j = head(Scenario::Idle, options, r);
    j["connections"] = r.connected;
    j["held"] = r.count;
    j["failed"] = r.errors.total();
    j["server_rss_before"] = r.server_rss_before;
    j["server_rss_after"] = r.server_rss_after;
    j["server_bytes_per_connection"] = whole(per_connection);
    j["handshake"] = latency_object(r.latency);
    j["errors"] = r.errors.json();
    return fmt::print("{}\n", j.dump());
  }
  fmt::print("idle: {} connections held{}{}; failed {}\n{}", r.connected, in_processes(options),
             options.server_pid
                 ? fmt::format(", server RSS {} -> {} bytes: {:.0f} bytes per connection",
                               r.server_rss_before, r.server_rss_after, per_connection)
                 : "",
             r.errors.total(), r.errors.text("     "));
}

// p2p and uplink: messages over a measured window.
void print_messages(Scenario scenario, const BenchOptions& options, const RunReport& r) {
  const bool p2p = scenario == Scenario::P2p;
  const double seconds = r.seconds(), cpu = r.server_cpu();
  const double rate = per(static_cast<double>(r.count), seconds);
  const double per_core = per(static_cast<double>(r.count), cpu);
  if (options.json) {
    ordered_json j = head(scenario, options, r);
    j["connected"] = r.connected;
    if (p2p) j["window"] = options.window;
    j["rate"] = options.rate;
    j["payload"] = options.payload;
    j["seconds"] = rounded(seconds, 100);
    j["sent"] = r.sent;
    j[p2p ? "delivered" : "acked"] = r.count;
    j["msgs_per_s"] = whole(rate);
    j["server_cpu_s"] = rounded(cpu, 1000);
    j["msgs_per_server_core_s"] = whole(per_core);
    j["failures"] = r.errors.total();
    j["latency"] = latency_object(r.latency);
    j["errors"] = r.errors.json();
    return fmt::print("{}\n", j.dump());
  }
  const std::string pace =
      options.rate > 0 ? fmt::format("paced at {:.0f}/s", options.rate) : "unpaced";
  if (p2p)
    fmt::print("p2p: {} devices{}, window {}, {}: {:.0f} msgs/s delivered over {:.1f} s\n",
               r.devices, in_processes(options), options.window, pace, rate, seconds);
  else
    fmt::print(
        "uplink: {} devices{}, {} B, {}: {:.0f} msgs/s acked by kited over {:.1f} s ({} of "
        "{} sent)\n",
        r.devices, in_processes(options), options.payload, pace, rate, seconds, r.count, r.sent);
  if (cpu > 0)
    fmt::print("     server CPU {:.2f} s: {:.0f} msgs per server core-second\n", cpu, per_core);
  fmt::print("     latency{} {}\n{}", p2p ? "" : " (publish to Ack)", latency_line(r.latency),
             r.errors.text("     "));
}

}  // namespace

void print_report(Scenario scenario, const BenchOptions& options, const RunReport& report) {
  switch (scenario) {
    case Scenario::Conn:
      return print_conn(options, report);
    case Scenario::Idle:
      return print_idle(options, report);
    case Scenario::P2p:
    case Scenario::Uplink:
      return print_messages(scenario, options, report);
    case Scenario::Storm:
      return print_storm(options, report);
  }
}

int report_exit_code(Scenario scenario, const RunReport& report) {
  if (scenario == Scenario::Storm) return storm_exit_code(report);
  if (!report.errors.empty()) return cli::kExitFailed;
  const bool has_messages = scenario == Scenario::P2p || scenario == Scenario::Uplink;
  return has_messages && report.count == 0 ? cli::kExitFailed : cli::kExitOk;
}

}  // namespace kite::bench
