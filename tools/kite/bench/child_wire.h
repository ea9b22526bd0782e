// What a --processes child and its parent say to each other, one line at a time.
// Child to parent (the child's stdout), one JSON object per line:
//   {"type":"progress","phase":"measuring","devices":500,"connected":500,"count":...}  each second
//   {"type":"ready"}   p2p, uplink, idle, storm: every device is connected; waiting for "start"
//   {"type":"report",...}   the end: the child's RunReport, its histogram as buckets, its
//                           storm counts (storm_tally.h)
// Parent to child (the child's stdin): "start" (begin the warm-up: every child is ready) and
// "stop" (idle: the parent has read kited's memory). The end of the child's stdin means the
// parent is gone: the child stops.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bench/progress.h"
#include "bench/run_report.h"

namespace kite::bench {

inline constexpr std::string_view kStartWord = "start";
inline constexpr std::string_view kStopWord = "stop";

std::string progress_line(const Progress& progress);
std::string ready_line();
std::string report_line(const RunReport& report);

struct ChildLine {
  enum class Type { Progress, Ready, Report, Invalid } type = Type::Invalid;
  Progress progress;
  std::optional<RunReport> report;
};
ChildLine parse_child_line(std::string_view line);

}  // namespace kite::bench
