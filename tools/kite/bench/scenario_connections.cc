// conn: connects `devices` devices, `concurrency` handshakes at a time, each closing as soon as
// its session is open: connect + authenticate rate and handshake latency.
// idle: connects `devices` devices the same way and holds them for `seconds` (as a child of
// --processes: until the parent says stop), keeping them alive; the server's resident memory
// per connection comes from --server-pid.
#include <fmt/format.h>

#include "bench/common.h"
#include "bench/connector.h"
#include "bench/error_kind.h"
#include "bench/process_stats.h"
#include "bench/run_link.h"
#include "bench/scenarios.h"

namespace kite::bench {

RunReport measure_conn(const BenchOptions& options) {
  RunReport report;
  report.devices = options.devices;
  ClientLoop loop(client_config());
  sockaddr_storage target{};
  report.setup_error = prepare_connections(options, loop, target);
  if (!report.setup_error.empty()) return report;
  auto link = make_run_link(Scenario::Conn, options, loop);
  ClientEvents events;
  Connector connector(options, loop, target, events);
  const auto server_cpu = [&] {
    return options.server_pid ? cpu_seconds(options.server_pid).value_or(0) : 0;
  };
  const auto end_if_settled = [&] {
    if (!connector.settled()) return;
    report.ended_ns = steady_ns();
    report.server_cpu_at_end = server_cpu();
    loop.stop();
  };
  events.opened = [&](BenchClient& c) {
    report.latency.record((uv_hrtime() - c.connect_started_ns()) / 1000);
    c.close();
    connector.opened();
    end_if_settled();
  };
  events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (c.connected_once()) return;  // our own close, right after the session opened
    const std::string kind = close_kind(c, info);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), c.id(), kind, info.message);
    connector.failed();
    end_if_settled();
  };
  loop.every(1000, [&] {
    Progress p;
    p.devices = options.devices;
    p.count = p.connected = connector.opened_count();
    p.errors = report.errors.total();
    link->progress(p, report.latency);
  });
  report.started_ns = steady_ns();
  report.server_cpu_at_start = server_cpu();
  connector.more();
  loop.run();
  report.count = report.connected = connector.opened_count();
  return report;
}

RunReport measure_idle(const BenchOptions& options) {
  RunReport report;
  report.devices = options.devices;
  ClientLoop loop(client_config());
  sockaddr_storage target{};
  report.setup_error = prepare_connections(options, loop, target);
  if (!report.setup_error.empty()) return report;
  auto link = make_run_link(Scenario::Idle, options, loop);
  ClientEvents events;
  Connector connector(options, loop, target, events);
  const auto server_rss = [&] {
    return options.server_pid ? resident_bytes(options.server_pid).value_or(0) : 0;
  };
  report.server_rss_before = server_rss();
  Phase phase = Phase::Connecting;
  std::uint64_t open_now = 0;
  const auto hold_when_settled = [&] {
    if (phase != Phase::Connecting || !connector.settled()) return;
    phase = Phase::Ready;
    link->ready([&] {
      phase = Phase::Holding;
      report.started_ns = steady_ns();
      link->hold(options.seconds, [&] {
        report.server_rss_after = server_rss();
        report.ended_ns = steady_ns();
        phase = Phase::Done;
        loop.stop();
      });
    });
  };
  events.opened = [&](BenchClient& c) {
    ++open_now;
    report.latency.record((uv_hrtime() - c.connect_started_ns()) / 1000);
    connector.opened();
    hold_when_settled();
  };
  events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (phase == Phase::Done) return;  // our own goodbyes at the end
    const std::string kind = close_kind(c, info);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), c.id(), kind, info.message);
    if (c.connected_once()) {
      --open_now;
      return;
    }
    connector.failed();
    hold_when_settled();
  };
  loop.every(1000, [&] {
    Progress p;
    p.phase = phase;
    p.devices = options.devices;
    p.count = p.connected = open_now;
    p.errors = report.errors.total();
    link->progress(p, report.latency);
  });
  connector.more();
  loop.run();
  report.connected = connector.opened_count();
  report.count = open_now;
  return report;
}

}  // namespace kite::bench
