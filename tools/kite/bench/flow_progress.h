// The progress of the scenarios where messages flow (p2p, uplink): once a second the same
// counters go to their run link (run_link.h), whichever message they count.
#pragma once

#include <cstdint>

#include "bench/bench.h"
#include "bench/connector.h"
#include "bench/progress.h"
#include "bench/run_link.h"
#include "bench/run_report.h"
#include "raw_client/client_loop.h"

namespace kite::bench {

// What such a scenario keeps up to date as it runs; read, never written, here. All of it must
// outlive the loop's run.
struct FlowCounters {
  const Phase& phase;
  const Connector& connector;      // the devices connected so far
  const std::uint64_t& count;      // p2p: messages delivered; uplink: acknowledged
  const std::uint64_t& in_flight;  // sent, not yet delivered or acknowledged
  const RunReport& report;         // its errors and latency samples so far
};

// Once a second on `loop`: `counters` as a Progress, and the latency so far, to `link`.
void send_flow_progress(ClientLoop& loop, RunLink& link, const BenchOptions& options,
                        FlowCounters counters);

}  // namespace kite::bench
