// conn: connects `devices` devices, `concurrency` handshakes at a time, each closing as soon as
// its session is open: connect + authenticate rate and handshake latency.
// idle: connects `devices` devices the same way and holds them for `seconds`, keeping them
// alive; prints the server's resident memory per connection when --server-pid is given.
#include <fmt/format.h>

#include "bench/common.h"
#include "bench/process_stats.h"

namespace kite::bench {
namespace {

struct Connector {
  const BenchOptions& options;
  ClientLoop& loop;
  sockaddr_storage target;
  ClientEvents events;
  std::uint32_t started = 0, opened = 0, failed = 0;

  void more() {
    while (started < options.devices && started - opened - failed < options.concurrency) {
      auto& c = loop.add(device_identity(options, started), target,
                         source_address(options, started), &events);
      ++started;
      c.connect();
    }
  }
};

}  // namespace

int run_conn(const BenchOptions& options) {
  ClientLoop loop(client_config());
  Connector connector{options, loop, {}, {}};
  if (auto error = target_address(options, connector.target); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  if (auto error = use_tls(options, loop); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  Histogram handshake;
  double cpu_start = options.server_pid ? cpu_seconds(options.server_pid).value_or(0) : 0;
  std::int64_t started_ns = steady_ns();
  connector.events.opened = [&](BenchClient& c) {
    ++connector.opened;
    handshake.record(static_cast<std::uint64_t>(loop.now() - c.connect_started_ms()) * 1000);
    c.close();
    connector.more();
    if (connector.opened + connector.failed == options.devices) loop.stop();
  };
  connector.events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (c.connected_once()) return;
    ++connector.failed;
    if (connector.failed <= 5)
      fmt::print(stderr, "kite bench: {} failed: {} {}\n", c.id(),
                 protocol::reason_name(info.reason), info.message);
    connector.more();
    if (connector.opened + connector.failed == options.devices) loop.stop();
  };
  loop.every(1000, [&] {
    fmt::print(stderr, "kite bench: {} connected and closed, {} failed\n", connector.opened,
               connector.failed);
  });
  connector.more();
  loop.run();
  double seconds = static_cast<double>(steady_ns() - started_ns) / 1e9;
  double cpu = options.server_pid ? cpu_seconds(options.server_pid).value_or(0) - cpu_start : 0;
  double rate = connector.opened / seconds;
  double per_core = cpu > 0 ? connector.opened / cpu : 0;
  if (options.json)
    fmt::print(
        R"({{"scenario":"conn","connections":{},"failed":{},"seconds":{:.2f},"per_s":{:.0f},)"
        R"("server_cpu_s":{:.3f},"per_server_core_s":{:.0f},"handshake":{}}})"
        "\n",
        connector.opened, connector.failed, seconds, rate, cpu, per_core, latency_json(handshake));
  else
    fmt::print("conn: {} connect+auth+close in {:.2f} s: {:.0f}/s{}; handshake {}; failed {}\n",
               connector.opened, seconds, rate,
               cpu > 0 ? fmt::format(", {:.0f} per server core-second", per_core) : "",
               latency_line(handshake), connector.failed);
  return connector.failed == 0 ? 0 : 1;
}

int run_idle(const BenchOptions& options) {
  ClientLoop loop(client_config());
  Connector connector{options, loop, {}, {}};
  if (auto error = target_address(options, connector.target); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  if (auto error = use_tls(options, loop); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  std::uint64_t rss_before =
      options.server_pid ? resident_bytes(options.server_pid).value_or(0) : 0;
  std::int64_t all_open_at = 0;
  std::uint64_t rss_after = 0;
  connector.events.opened = [&](BenchClient&) {
    ++connector.opened;
    connector.more();
  };
  bool holding_done = false;
  connector.events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (holding_done) return;  // our own goodbyes at the end
    ++connector.failed;
    if (connector.failed <= 5)
      fmt::print(stderr, "kite bench: {} closed: {} {}\n", c.id(),
                 protocol::reason_name(info.reason), info.message);
    connector.more();
  };
  loop.every(1000, [&] {
    if (all_open_at == 0 && connector.opened + connector.failed == options.devices) {
      all_open_at = steady_ns();
      fmt::print(stderr, "kite bench: {} connections open, holding for {} s\n", connector.opened,
                 options.seconds);
      std::fflush(stdout);
    }
    if (all_open_at != 0 &&
        static_cast<double>(steady_ns() - all_open_at) / 1e9 >= options.seconds) {
      if (options.server_pid) rss_after = resident_bytes(options.server_pid).value_or(0);
      holding_done = true;
      loop.stop();
    }
  });
  connector.more();
  loop.run();
  double per_connection =
      connector.opened
          ? static_cast<double>(rss_after - std::min(rss_after, rss_before)) / connector.opened
          : 0;
  if (options.json)
    fmt::print(R"({{"scenario":"idle","connections":{},"failed":{},"server_rss_before":{},)"
               R"("server_rss_after":{},"server_bytes_per_connection":{:.0f}}})"
               "\n",
               connector.opened, connector.failed, rss_before, rss_after, per_connection);
  else
    fmt::print("idle: {} connections held{}; failed {}\n", connector.opened,
               options.server_pid
                   ? fmt::format(", server RSS {} -> {} bytes: {:.0f} bytes per connection",
                                 rss_before, rss_after, per_connection)
                   : "",
               connector.failed);
  return connector.failed == 0 ? 0 : 1;
}

}  // namespace kite::bench
