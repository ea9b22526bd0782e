#include "bench/run_report.h"

namespace kite::bench {

double RunReport::seconds() const {
  if (started_ns == 0 || ended_ns <= started_ns) return 0;
  return static_cast<double>(ended_ns - started_ns) / 1e9;
}

void RunReport::merge(const RunReport& other) {
  if (setup_error.empty()) setup_error = other.setup_error;
  devices += other.devices;
  connected += other.connected;
  count += other.count;
  sent += other.sent;
  if (other.started_ns != 0 && (started_ns == 0 || other.started_ns < started_ns)) {
    started_ns = other.started_ns;
    server_cpu_at_start = other.server_cpu_at_start;
  }
  if (other.ended_ns > ended_ns) {
    ended_ns = other.ended_ns;
    server_cpu_at_end = other.server_cpu_at_end;
  }
  latency.merge(other.latency);
  errors.merge(other.errors);
  storm.merge(other.storm);
}

}  // namespace kite::bench
