// A run's counters once a second, and the progress line made of them (stderr). One process
// prints its own; with --processes each child sends its Progress to the parent, which adds them
// up and prints one line for the whole run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bench/bench.h"
#include "bench/histogram.h"

namespace kite::bench {

// Where a run is, in order: a sum of children is where the least advanced one is.
enum class Phase : std::uint8_t { Connecting, Ready, Warmup, Measuring, Holding, Done };
std::string_view phase_name(Phase phase);
std::optional<Phase> phase_from_name(std::string_view name);

struct Progress {
  Phase phase = Phase::Connecting;
  std::uint64_t devices = 0, connected = 0;  // connected: sessions open now
  // The scenario's unit so far, warm-up included: conn: connections opened; p2p: messages
  // delivered; uplink: messages acknowledged; storm: sessions opened; idle: unused.
  std::uint64_t count = 0;
  std::uint64_t in_flight = 0;  // p2p, uplink; storm: uplink not yet confirmed
  std::uint64_t errors = 0;

  void add(const Progress& other);
};

class ProgressPrinter {
 public:
  ProgressPrinter(Scenario scenario, std::string speaker)
      : scenario_(scenario), speaker_(std::move(speaker)) {}

  // One line for `now`; rates are over the time since the previous line. `latency` (one
  // process) adds the percentiles so far while measuring.
  void print(const Progress& now, const Histogram* latency = nullptr);

 private:
  Scenario scenario_;
  std::string speaker_;
  std::uint64_t last_count_ = 0;
  std::int64_t last_ns_ = 0;
};

}  // namespace kite::bench
