// `kite bench`: the load scenarios (p2p, uplink, conn, idle, fanout, storm) and their options; the
// scenarios themselves are the rest of this folder.
#include "bench/bench_command.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "bench/bench.h"
#include "common/exit_code.h"
#include "flags/key_flags.h"
#include "flags/tls_flags.h"

namespace kite::cli {
namespace {

// The footers print above the exit codes (a footer callback's text comes before main()'s footer).
constexpr const char* kErrorKinds =
    "Errors are counted by kind (one line each; \"errors\" in --json): connect_refused, "
    "connect_failed, tls_failed, refused:<Reason> (kited refused the handshake: "
    "refused:AuthFailed, refused:TooManyAttempts...), closed:<Reason> (kited ended an open "
    "session: closed:Replaced...), connection_lost, timeout:handshake, timeout:keepalive, "
    "timeout:ack (uplink: not acknowledged within 5 s), protocol:<Reason> (kited sent what the "
    "bench cannot accept), error:<Reason> (an Error frame about one message: error:NotFound...), "
    "http:<status> (fanout's admin API). Any error makes the exit code 1.";

constexpr const char* kProcesses =
    "--processes N: N child processes of this kite (one process may hold only so many open "
    "files) share the devices evenly; device k keeps its id bench-<id-base + k> and its source "
    "address PREFIX(1 + k % 250) whichever process runs it, and --rate and --window are shared "
    "in proportion. Children that connect first wait for the others, then all start together; the "
    "progress lines and the report are for the whole run (percentiles of every sample). A child "
    "that fails is named with its exit status and the run fails; SIGINT or SIGTERM stops them "
    "all.";

constexpr const char* kUplinkLimit =
    "kited limits each device's uplink to session.uplink_rate_per_s messages per second (100 by "
    "default, in bursts of session.uplink_burst, 200): above it kited stops reading the device's "
    "socket, and the bench measures that limit. To measure kited, start it with "
    "--set session.uplink_rate_per_s=1000000 (the largest value it takes; 0 is refused) "
    "--set session.uplink_burst=10000000. kited acknowledges every 16 messages or after a 20 ms "
    "delay, "
    "which a light load sees in its latency; each message is an \"uplink\" event of "
    "GET /v1/events unless events.types leaves it out.";

constexpr const char* kStorm =
    "storm measures a reconnect storm with the device SDK itself (kite::Client on one libuv loop "
    "per process, its defaults: a session lost without a goaway retried within 5 s, then a "
    "back-off of 500 ms doubling to 60 s, full jitter). The devices "
    "connect (--connect-rate a second); once all are connected the run lasts --seconds, with "
    "--down-rate messages a second sent to them through the admin API (payloads 1, 2, 3... per "
    "device) and --up-rate published by them (QoS 1). Drain kited (SIGTERM) or kill it (-9) "
    "and start it again on the same port and data directory meanwhile: tests/bench/storm does "
    "it all and draws the curve. After --seconds the traffic stops and the run waits up to "
    "--settle seconds for every device to be connected, its uplink confirmed and every accepted "
    "message handed to its app. The report: sessions opened again and whether kited resumed "
    "them, per second; why connections ended; downlink accepted (answered 202), delivered "
    "(distinct), duplicated (handed to the app again), lost (accepted, never handed over), "
    "unconfirmed (sent as kited went away: no answer), unreachable (not sent), refused (another "
    "answer); uplink published, accepted (confirmed) and failed. Exit code 1 if anything was "
    "lost, duplicated or failed, a session was not resumed, or a device is not connected at the "
    "end. Every device connects from the one source address: start kited with --set "
    "auth.max_unauthenticated_per_ip=100000 --set device.max_connections_per_ip=0. One process "
    "may hold only so many open files: use --processes for more than ~19,000 devices; "
    "--down-rate, --up-rate and --connect-rate are then shared in proportion, like --rate.";

std::string footer_of(std::initializer_list<const char*> parts) {
  std::string text;
  for (const char* part : parts) text += std::string(part) + "\n\n";
  return text;
}

int run_fanout(bench::BenchOptions& o, const CLI::App& fanout) {
  if (fanout.count("--devices") == 0) o.devices = 10'000;
  if (fanout.count("--window") == 0) o.window = std::min<std::uint32_t>(64, 2 * o.burst);
  if (o.window < o.burst) {
    std::fprintf(stderr, "kite bench fanout: --window must be at least --burst\n");
    return kExitUsage;
  }
  return bench::run_fanout(o);
}

int run_checked(bench::Scenario scenario, const bench::BenchOptions& o) {
  if (o.child_count == 0 && o.processes > o.devices) {
    std::fprintf(stderr, "kite bench: --processes must be at most --devices\n");
    return kExitUsage;
  }
  if (scenario == bench::Scenario::P2p && o.http_senders == 0 && o.service_key.empty()) {
    std::fprintf(stderr,
                 "kite bench p2p: --service-key is required (or --http N with --admin-token)\n");
    return kExitUsage;
  }
  if (scenario == bench::Scenario::P2p && o.http_senders != 0 && o.admin_token.empty()) {
    std::fprintf(stderr, "kite bench p2p: --http needs --admin-token\n");
    return kExitUsage;
  }
  return bench::run_scenario(scenario, o);
}

// The options every scenario takes.
void add_common_options(CLI::App& s, bench::BenchOptions& o) {
  s.add_option("--host", o.host, "kited device listener address")->capture_default_str();
  s.add_option("--port", o.port, "kited device listener port")->capture_default_str();
  s.add_option("--master-key", o.master_key, "fleet master key (hex): device keys derive from it")
      ->required()
      ->check(kHexKey);
  s.add_option("--devices", o.devices, "devices to connect")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  s.add_option("--concurrency", o.concurrency, "handshakes in progress at once (per process)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  s.add_option("--source-prefix", o.source_prefix,
               "spread client sockets over PREFIX1..PREFIX250, e.g. 127.0.1.");
  s.add_option("--id-base", o.id_base, "device ids are bench-<id-base + i>")->capture_default_str();
  s.add_option("--server-pid", o.server_pid, "kited's pid: report its CPU time and memory");
  s.add_option("--also-pid", o.also_pids,
               "another server process (a cluster's other nodes, its Redis) whose CPU time "
               "counts with --server-pid's (repeat it)")
      ->needs("--server-pid");
  s.add_flag("--json", o.json, "print the final report as one JSON object");
  add_tls_flags(s, o.tls, /*client_certificate=*/false);
  s.add_option("--ws", o.websocket_path,
               "over WebSocket: --port is kited's websocket.listen (websocket.tls_listen with "
               "--tls), upgrading at PATH, e.g. /")
      ->type_name("PATH")
      ->check([](const std::string& path) {
        return path.starts_with('/') ? std::string() : std::string("a path starts with /");
      });
}

// --processes, and the hidden options that tell a child its slice.
void add_process_options(CLI::App& s, bench::BenchOptions& o) {
  s.add_option("--processes", o.processes,
               "run in this many child processes, the devices shared among them (see below)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  s.add_option("--child-index", o.child_index)->group("");
  s.add_option("--child-count", o.child_count)->group("");
}

// A scenario --processes can spread (p2p, uplink, conn, idle), with the options they all take.
CLI::App* add_spreadable(CLI::App& bench_app, bench::BenchOptions& o, std::string name,
                         std::string description) {
  auto* scenario = bench_app.add_subcommand(std::move(name), std::move(description));
  add_common_options(*scenario, o);
  add_process_options(*scenario, o);
  return scenario;
}

CLI::App* add_p2p(CLI::App& bench_app, bench::BenchOptions& o) {
  auto* p2p =
      add_spreadable(bench_app, o, "p2p",
                     "A service sends QoS 1 messages to random devices; throughput and latency");
  p2p->add_option("--service", o.service, "service name (service:<name>)")->capture_default_str();
  p2p->add_option("--service-key", o.service_key, "that service's key (hex); not with --http")
      ->check(kHexKey);
  p2p->add_option("--http", o.http_senders,
                  "send through the admin API instead: this many keep-alive connections (per "
                  "process), one POST /v1/devices/{id}/messages per message")
      ->check(CLI::Range(1, 64));
  p2p->add_option("--api", o.api, "with --http: kited's admin API, http://IPv4:PORT")
      ->capture_default_str();
  p2p->add_option("--admin-token", o.admin_token, "with --http: the admin API's bearer token");
  p2p->add_option("--seconds", o.seconds, "measuring time")->capture_default_str();
  p2p->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  p2p->add_option("--window", o.window,
                  "messages in flight end to end (in all; each process's service keeps its share)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  p2p->add_option("--rate", o.rate, "messages per second; 0 = as fast as the window allows")
      ->capture_default_str();
  p2p->add_option("--payload", o.payload, "payload bytes (at least 8)")->capture_default_str();
  p2p->footer([] { return footer_of({kProcesses, kErrorKinds}); });
  return p2p;
}

CLI::App* add_uplink(CLI::App& bench_app, bench::BenchOptions& o) {
  auto* uplink = add_spreadable(
      bench_app, o, "uplink",
      "Every device publishes QoS 1 messages to kited: messages acknowledged per second and per "
      "server core, latency from publish to kited's Ack; kited's per-device uplink limit "
      "(session.uplink_rate_per_s) must be raised first");
  uplink->add_option("--seconds", o.seconds, "measuring time")->capture_default_str();
  uplink->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  uplink
      ->add_option("--rate", o.rate,
                   "messages per second from all devices together; 0 = as fast as kited's credit "
                   "allows (session.receive_window messages in flight per device)")
      ->capture_default_str();
  uplink->add_option("--payload", o.payload, "payload bytes")->capture_default_str();
  uplink->footer([] { return footer_of({kUplinkLimit, kProcesses, kErrorKinds}); });
  return uplink;
}

// fanout's --group: the names the bench's own requests can carry unescaped.
std::string plain_group_problem(const std::string& name) {
  const bool plain =
      !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
  return plain ? "" : "use 1-128 letters, digits, '.', '_' or '-'";
}

CLI::App* add_fanout(CLI::App& bench_app, bench::BenchOptions& o) {
  auto* fanout = bench_app.add_subcommand(
      "fanout",
      "--devices devices (default here 10000) join one group; group messages go out through the "
      "admin API (POST /v1/messages): deliveries per second and per server core, latency to the "
      "last member");
  add_common_options(*fanout, o);
  fanout->add_option("--api", o.api, "kited's admin API, http://IPv4:PORT")->capture_default_str();
  fanout->add_option("--admin-token", o.admin_token, "the admin API's bearer token")->required();
  fanout->add_option("--group", o.group, "group name (letters, digits, '.', '_', '-')")
      ->capture_default_str()
      ->check(plain_group_problem);
  fanout->add_option("--qos", o.qos, "0 (sent to online members) or 1 (stored, acknowledged)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1));
  fanout
      ->add_option("--burst", o.burst,
                   "messages per request: 1 = the single-message form, more = the batch form "
                   "(\"messages\": [...])")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  fanout->add_option("--window", o.window,
                     "messages in flight (sent, not yet received by every member); default "
                     "2 x burst, at most 64 (a member's credit: more drops QoS 0 messages)");
  fanout->add_option("--seconds", o.seconds, "measuring time")->capture_default_str();
  fanout->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  fanout
      ->add_option(
          "--messages", o.messages,
          "send this many messages, measured from the first (no warm-up), then stop; 0 = send "
          "for --warmup + --seconds")
      ->capture_default_str();
  fanout->add_option("--payload", o.payload, "payload bytes (at least 16)")->capture_default_str();
  fanout->add_flag("!--no-join", o.join,
                   "the devices are in the group already: skip PUT /v1/groups/{g}/members/{id}");
  fanout->add_flag("--per-device-answer", o.per_device_answer,
                   "ask for a status per device in each answer (\"report\": \"results\"); "
                   "default: counts only (\"report\": \"summary\")");
  fanout->footer([] { return footer_of({kErrorKinds}); });
  return fanout;
}

// storm takes the options that mean something for SDK clients (no --concurrency,
// --source-prefix or --server-pid: the SDK dials on its own, and kited restarts under it).
CLI::App* add_storm(CLI::App& bench_app, bench::BenchOptions& o) {
  auto* storm = bench_app.add_subcommand(
      "storm",
      "SDK devices (kite::Client) through a drain or a kill of kited: sessions reopened per "
      "second, resumed or not, messages lost or duplicated both ways");
  storm
      ->add_option("--host", o.hosts,
                   "kited device listener address; several, comma-separated, spread the devices "
                   "over them (device i dials the (i mod n)-th): on one machine each address has "
                   "its own ephemeral ports (default 127.0.0.1)")
      ->delimiter(',');
  storm->add_option("--port", o.port, "kited device listener port")->capture_default_str();
  storm
      ->add_option("--master-key", o.master_key,
                   "fleet master key (hex): device keys derive from it")
      ->required()
      ->check(kHexKey);
  storm->add_option("--devices", o.devices, "devices to connect")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  storm->add_option("--id-base", o.id_base, "device ids are bench-<id-base + i>")
      ->capture_default_str();
  storm->add_option("--seconds", o.seconds, "how long the traffic runs once all are connected")
      ->capture_default_str();
  storm->add_option("--settle", o.settle, "then, at most this long for the fleet to be whole")
      ->capture_default_str();
  storm->add_option("--connect-rate", o.connect_rate, "clients started per second at first")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  storm
      ->add_option("--down-rate", o.down_rate,
                   "messages per second to the devices through the admin API (0: none)")
      ->capture_default_str();
  storm->add_option("--up-rate", o.up_rate, "messages per second from the devices (0: none)")
      ->capture_default_str();
  storm
      ->add_option("--backoff-initial-ms", o.backoff_initial_ms,
                   "the SDK's backoff_initial_ms (its first reconnect window); 0: the SDK's "
                   "default (500)")
      ->capture_default_str();
  storm
      ->add_option("--backoff-max-ms", o.backoff_max_ms,
                   "the SDK's backoff_max_ms; 0: the SDK's default (60000)")
      ->capture_default_str();
  storm
      ->add_option("--lost-spread-ms", o.lost_spread_ms,
                   "the SDK's lost_reconnect_spread_ms (a session lost without a goaway is "
                   "retried within it); -1: the SDK's default (5000); 0: within the first "
                   "back-off window instead")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{86'400'000}));
  storm->add_option("--api", o.api, "kited's admin API, http://IPv4:PORT")->capture_default_str();
  storm->add_option("--admin-token", o.admin_token, "the admin API's bearer token (--down-rate)");
  storm->add_flag("--json", o.json, "print the final report as one JSON object");
  add_tls_flags(*storm, o.tls, /*client_certificate=*/false);
  storm
      ->add_option("--ws", o.websocket_path,
                   "over WebSocket: --port is kited's websocket.listen (websocket.tls_listen "
                   "with --tls), upgrading at PATH, e.g. /")
      ->type_name("PATH")
      ->check([](const std::string& path) {
        return path.starts_with('/') ? std::string() : std::string("a path starts with /");
      });
  add_process_options(*storm, o);
  storm->footer([] { return footer_of({kStorm, kProcesses}); });
  return storm;
}

int run_storm(const bench::BenchOptions& o) {
  if (o.down_rate > 0 && o.admin_token.empty()) {
    std::fprintf(stderr, "kite bench storm: --down-rate needs --admin-token (or --down-rate 0)\n");
    return kExitUsage;
  }
  return run_checked(bench::Scenario::Storm, o);
}

}  // namespace

void add_bench_commands(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<bench::BenchOptions>();
  auto* bench = app.add_subcommand("bench", "Load scenarios against a running kited");
  bench->require_subcommand(1);
  auto* p2p = add_p2p(*bench, *o);
  auto* uplink = add_uplink(*bench, *o);
  auto* conn =
      add_spreadable(*bench, *o, "conn",
                     "Connect, authenticate and close --devices devices: handshakes per second");
  conn->footer([] { return footer_of({kProcesses, kErrorKinds}); });
  auto* idle =
      add_spreadable(*bench, *o, "idle",
                     "Hold --devices authenticated connections for --seconds: server memory each");
  idle->add_option("--seconds", o->seconds, "how long to hold them")->capture_default_str();
  idle->footer([] { return footer_of({kProcesses, kErrorKinds}); });
  auto* fanout = add_fanout(*bench, *o);
  auto* storm = add_storm(*bench, *o);
  using bench::Scenario;
  commands.push_back({p2p, [o] { return run_checked(Scenario::P2p, *o); }});
  commands.push_back({uplink, [o] { return run_checked(Scenario::Uplink, *o); }});
  commands.push_back({conn, [o] { return run_checked(Scenario::Conn, *o); }});
  commands.push_back({idle, [o] { return run_checked(Scenario::Idle, *o); }});
  commands.push_back({fanout, [o, fanout] { return run_fanout(*o, *fanout); }});
  commands.push_back({storm, [o] { return run_storm(*o); }});
}

}  // namespace kite::cli
