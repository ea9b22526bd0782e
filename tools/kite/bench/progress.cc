#include "bench/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "bench/common.h"

namespace kite::bench {
namespace {

constexpr std::array<std::string_view, 6> kPhaseNames{"connecting", "ready",   "warmup",
                                                      "measuring",  "holding", "done"};

std::string errors_suffix(std::uint64_t errors) {
  return errors == 0 ? "" : fmt::format(", {} errors", errors);
}

}  // namespace

std::string_view phase_name(Phase phase) {
  return kPhaseNames[static_cast<std::size_t>(phase)];
}

std::optional<Phase> phase_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
    if (kPhaseNames[i] == name) return static_cast<Phase>(i);
  return std::nullopt;
}

void Progress::add(const Progress& other) {
  phase = std::min(phase, other.phase);
  devices += other.devices;
  connected += other.connected;
  count += other.count;
  in_flight += other.in_flight;
  errors += other.errors;
}

void ProgressPrinter::print(const Progress& now, const Histogram* latency) {
  const std::int64_t at = steady_ns();
  const double seconds = last_ns_ == 0 ? 1.0 : static_cast<double>(at - last_ns_) / 1e9;
  const double rate =
      static_cast<double>(now.count - std::min(now.count, last_count_)) / std::max(seconds, 1e-3);
  last_ns_ = at;
  last_count_ = now.count;
  std::string line;
  if (scenario_ == Scenario::Conn) {
    line = fmt::format("{:.0f}/s: {}/{} connected and closed, {} failed", rate, now.count,
                       now.devices, now.errors);
  } else if (scenario_ == Scenario::Storm && now.phase >= Phase::Measuring) {
    // "running: 19000/19000 connected": tests/bench/storm waits for this line before it drains
    // or kills kited.
    line = fmt::format("{}: {}/{} connected, {:.0f} sessions opened/s, {} uplink unconfirmed{}",
                       now.phase == Phase::Measuring ? "running" : "settling", now.connected,
                       now.devices, rate, now.in_flight, errors_suffix(now.errors));
  } else if (now.phase == Phase::Connecting) {
    line = fmt::format("connecting: {}/{} devices{}", now.connected, now.devices,
                       errors_suffix(now.errors));
  } else if (scenario_ == Scenario::Idle) {
    line = fmt::format("{}/{} connections open, holding{}", now.connected, now.devices,
                       errors_suffix(now.errors));
  } else if (now.phase == Phase::Ready) {
    line = fmt::format("{}/{} devices connected, waiting for every process{}", now.connected,
                       now.devices, errors_suffix(now.errors));
  } else {
    const bool measuring = now.phase >= Phase::Measuring;
    line = fmt::format("{:6.0f} msgs/s {}, {} in flight{}{}", rate,
                       scenario_ == Scenario::Uplink ? "acked" : "delivered", now.in_flight,
                       errors_suffix(now.errors),
                       !measuring ? " (warm-up)"
                       : latency  ? ", " + latency_line(*latency)
                                  : "");
  }
  fmt::print(stderr, "{}: {}\n", speaker_, line);
}

}  // namespace kite::bench
