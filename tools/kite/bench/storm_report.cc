#include "bench/storm_report.h"

#include <fmt/format.h>

#include <ctime>

#include "common/exit_code.h"

namespace kite::bench {
namespace {

// "00:41:07.250 UTC": when the last device came back, readable beside a script's own times.
std::string clock_time(std::int64_t epoch_ms) {
  if (epoch_ms == 0) return "never";
  const std::time_t seconds = epoch_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:02}:{:02}:{:02}.{:03} UTC", utc.tm_hour, utc.tm_min, utc.tm_sec,
                     epoch_ms % 1000);
}

// Sessions opened per whole second of the wall clock, from the first to the last: the curve as
// text (the script draws it against the kill instead).
std::string curve_text(const StormTally& t) {
  std::map<std::int64_t, std::uint64_t> per_second;
  for (const auto& [bucket, count] : t.opened_by_bucket)
    per_second[bucket * kStormBucketMs / 1000] += count;
  std::string text;
  for (const auto& [second, count] : per_second)
    text += fmt::format("     {} {}\n", clock_time(second * 1000).substr(0, 8), count);
  return text;
}

}  // namespace

void print_storm(const BenchOptions& options, const RunReport& r) {
  const StormTally& t = r.storm;
  if (options.json) {
    nlohmann::ordered_json j{{"scenario", "storm"},        {"processes", options.processes},
                             {"devices", r.devices},       {"connected_first", r.connected},
                             {"started_ns", r.started_ns}, {"ended_ns", r.ended_ns},
                             {"errors", r.errors.json()}};
    j["storm"] = t.json();
    return fmt::print("{}\n", j.dump());
  }
  fmt::print(
      "storm: {} devices{} (kite::Client), {:.1f} s: {} sessions opened again ({} resumed) by "
      "{} devices ({} more than once), the last at {}; {} connected at the end\n",
      r.devices, options.processes > 1 ? fmt::format(" in {} processes", options.processes) : "",
      r.seconds(), t.reopened, t.resumed, t.devices_back, t.reopened_twice,
      clock_time(t.last_reopen_ms), t.connected_at_end);
  fmt::print(
      "     downlink: {} accepted, {} delivered, {} duplicated, {} lost ({} unconfirmed, {} "
      "unreachable, {} refused)\n",
      t.down_accepted, t.down_delivered, t.down_duplicated, t.down_lost, t.down_unconfirmed,
      t.down_unreachable, t.down_refused);
  fmt::print(
      "     uplink: {} published, {} accepted, {} failed (whether kited's event stream has each "
      "once: tests/bench/storm)\n",
      t.up_published, t.up_accepted, t.up_failed);
  std::string ends;
  for (const auto& [reason, count] : t.ended_by_reason)
    ends += fmt::format(" {} {}", reason.empty() ? "?" : reason, count);
  fmt::print("     connections ended:{}\n", ends.empty() ? " none" : ends);
  fmt::print("     sessions opened per second:\n{}{}", curve_text(t), r.errors.text("     "));
}

int storm_exit_code(const RunReport& r) {
  const StormTally& t = r.storm;
  const bool whole = t.down_lost == 0 && t.down_duplicated == 0 && t.up_failed == 0 &&
                     t.resumed == t.reopened && t.connected_at_end == r.devices;
  return whole && r.errors.empty() ? cli::kExitOk : cli::kExitFailed;
}

}  // namespace kite::bench
