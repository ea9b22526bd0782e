// A scenario's ties to whoever runs it: where its progress goes once a second, and when it
// starts measuring (p2p, uplink) or stops holding its connections (idle).
//   Alone (one process): progress lines on stderr; the warm-up starts as soon as every device is
//   connected, and idle holds for --seconds.
//   A child of --processes: progress as JSON lines to the parent (child_wire.h); the warm-up
//   starts on the parent's "start", sent once every child is connected, so that all of them
//   measure the same seconds; idle holds until the parent's "stop". If the parent goes away (the
//   end of stdin), the run stops.
#pragma once

#include <functional>
#include <memory>

#include "bench/bench.h"
#include "bench/progress.h"
#include "raw_client/client_loop.h"

namespace kite::bench {

class RunLink {
 public:
  virtual ~RunLink() = default;
  // Once a second. `latency`: the samples so far (shown alone while measuring).
  virtual void progress(const Progress& progress, const Histogram& latency) = 0;
  // Every device (and the p2p service) is connected: `start` runs now, or on the parent's word.
  virtual void ready(std::function<void()> start) = 0;
  // idle: `done` runs after `seconds`, or on the parent's word.
  virtual void hold(double seconds, std::function<void()> done) = 0;
};

std::unique_ptr<RunLink> make_run_link(Scenario scenario, const BenchOptions& options,
                                       ClientLoop& loop);

}  // namespace kite::bench
