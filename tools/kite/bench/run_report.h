// What one run of conn, idle, p2p or uplink measured: enough to print the scenario's report,
// and to merge the reports of --processes children into the report of the whole run (counts
// add up, histograms merge bucket by bucket so percentiles are of every sample, the measured
// windows join).
#pragma once

#include <cstdint>
#include <string>

#include "bench/error_tally.h"
#include "bench/histogram.h"
#include "bench/storm_tally.h"

namespace kite::bench {

struct RunReport {
  std::string setup_error;      // not run: what is wrong (an address, a CA file that does not load)
  std::uint64_t devices = 0;    // asked for
  std::uint64_t connected = 0;  // devices whose session opened
  // The scenario's unit, within the measured window: conn: connections opened (then closed);
  // idle: connections held; p2p: messages delivered; uplink: messages acknowledged by kited.
  std::uint64_t count = 0;
  std::uint64_t sent = 0;  // p2p, uplink: messages sent within the measured window
  // The measured window on the steady clock, which is CLOCK_MONOTONIC on Linux: one clock for
  // every process, so the windows of children compare. 0: never started.
  std::int64_t started_ns = 0, ended_ns = 0;
  // kited's CPU seconds (user + system) at those two instants (--server-pid), and its resident
  // memory before the devices connected and while they were all connected (idle).
  double server_cpu_at_start = 0, server_cpu_at_end = 0;
  std::uint64_t server_rss_before = 0, server_rss_after = 0;
  Histogram latency;  // conn, idle: handshakes; p2p: service to device; uplink: publish to Ack
  ErrorTally errors;
  StormTally storm;  // storm only

  double seconds() const;
  double server_cpu() const { return server_cpu_at_end - server_cpu_at_start; }
  // Adds `other` (another process's part of the same run). The window becomes the union of both,
  // the server's CPU time that of the union (read at its first start and its last end). The
  // server's memory is not merged: one process (the parent) reads it for the whole run.
  void merge(const RunReport& other);
};

}  // namespace kite::bench
