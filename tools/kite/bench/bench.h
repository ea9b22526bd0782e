// `kite bench`: load scenarios against a running kited. Each prints progress once a second and a
// final report (text, or one JSON object with --json) with its errors counted by kind; the
// server's CPU time and memory are read from /proc when --server-pid is given, so figures can be
// quoted per server core. conn, idle, p2p and uplink can spread their devices over --processes
// child processes (one process may hold only so many open files); the parent merges their
// reports. storm runs SDK clients (kite::Client), not the bench's raw ones, and is made to be
// driven by a script that drains or kills kited under it (tests/bench/storm).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kite/client.h"

namespace kite::bench {

struct BenchOptions {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::string master_key;         // hex: device keys are derived from it
  std::string service = "bench";  // service name (p2p)
  std::string service_key;        // hex key of that service
  std::uint32_t devices = 1000;
  double seconds = 10;
  double warmup = 1;           // p2p, uplink: seconds before measuring
  std::uint32_t window = 256;  // p2p: messages in flight, end to end
  double rate = 0;  // p2p, uplink: messages/s in all; 0 = as fast as the window (credit) allows
  std::uint32_t payload = 64;       // bytes
  std::uint32_t concurrency = 100;  // conn/idle: handshakes in progress at once
  std::string source_prefix;        // e.g. "127.0.1.": client sockets spread over .1 .. .250
  std::uint32_t id_base = 0;        // device ids are bench-<id_base + i>
  int server_pid = 0;
  // --also-pid: more server processes (the other nodes of a cluster, its Redis) whose CPU time
  // counts with kited's in the per-core figures.
  std::vector<int> also_pids;
  bool json = false;
  // --processes: conn, idle, p2p and uplink run in this many child processes, each with a slice
  // of the devices (slice.h). A child is told its slice with hidden options: child_count is 0 in
  // a process that is no child.
  std::uint32_t processes = 1;
  std::uint32_t child_index = 0, child_count = 0;
  std::uint32_t first_device = 0;  // this process's device i is the run's device first_device + i
  // --tls, --ca, --server-name, --tls-min: every connection (devices and the p2p service) goes
  // to kited's TLS port; no client certificates (the devices log in with derived keys).
  TlsOptions tls;
  // --ws PATH: every connection goes to kited's WebSocket listener (--port; wss:// with --tls),
  // upgrading at PATH. Empty: raw TCP.
  std::string websocket_path;
  // fanout
  std::string api = "http://127.0.0.1:7080";  // kited's admin API
  std::string admin_token;
  std::string group = "bench-fanout";
  std::uint32_t burst = 1;  // messages per request (> 1: the batch form)
  int qos = 0;
  std::uint64_t messages = 0;      // stop after this many messages; 0 = after --seconds
  bool join = true;                // PUT every device into the group first
  bool per_device_answer = false;  // "report": "results" instead of "summary"
  // p2p --http: messages go through the admin API (--api, --admin-token) from this many
  // keep-alive connections, one request each, instead of a service connection; 0: the service.
  std::uint32_t http_senders = 0;
  // storm (in all; each process takes its share): messages per second through the admin API to
  // the devices (--api, --admin-token), and from the devices; new clients started per second
  // while the fleet first connects; how long to wait after --seconds for the fleet to be whole.
  double down_rate = 100;
  double up_rate = 100;
  double connect_rate = 2000;
  double settle = 20;
  // storm: the SDK's reconnect back-off (ClientOptions::backoff_initial_ms, backoff_max_ms);
  // 0 keeps the SDK's default. To measure what another first window would do to a storm.
  std::uint32_t backoff_initial_ms = 0, backoff_max_ms = 0;
  // storm: ClientOptions::lost_reconnect_spread_ms; -1 keeps the SDK's default (0 means the
  // first back-off window, as the SDK did before it had the option).
  std::int64_t lost_spread_ms = -1;
  // storm: --host may name several addresses of kited (comma-separated); device i dials
  // hosts[i % n]. On one machine, every connection from 127.0.0.1 to one address and port
  // shares one range of ephemeral ports, which a fleet reconnecting after a kill -9 (its old
  // connections in TIME_WAIT) exhausts: connect() then scans the range for each device.
  std::vector<std::string> hosts;
};

enum class Scenario { P2p, Conn, Idle, Uplink, Storm };
std::string_view scenario_name(Scenario scenario);

// Runs `scenario` in this process, as one child of a --processes run (its report goes to the
// parent), or as the parent of --processes children. Returns the exit code.
int run_scenario(Scenario scenario, const BenchOptions& options);
int run_fanout(const BenchOptions& options);

}  // namespace kite::bench
