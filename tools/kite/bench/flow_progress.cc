#include "bench/flow_progress.h"

namespace kite::bench {

void send_flow_progress(ClientLoop& loop, RunLink& link, const BenchOptions& options,
                        FlowCounters counters) {
  loop.every(1000, [&link, devices = options.devices, counters] {
    Progress p;
    p.phase = counters.phase;
    p.devices = devices;
    p.connected = counters.connector.opened_count();
    p.count = counters.count;
    p.in_flight = counters.in_flight;
    p.errors = counters.report.errors.total();
    link.progress(p, counters.report.latency);
  });
}

}  // namespace kite::bench
