// `kite bench`: the load scenarios (p2p, conn, idle, fanout) and their options; the scenarios
// themselves live in bench/.
#include "cli/bench_command.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include "bench/bench.h"
#include "cli/exit_code.h"
#include "cli/key_options.h"
#include "cli/tls_flags.h"

namespace kite::cli {
namespace {

int run_fanout(bench::BenchOptions& o, const CLI::App& fanout) {
  if (fanout.count("--devices") == 0) o.devices = 10'000;
  if (fanout.count("--window") == 0) o.window = std::min<std::uint32_t>(64, 2 * o.burst);
  if (o.window < o.burst) {
    std::fprintf(stderr, "kite bench fanout: --window must be at least --burst\n");
    return kExitUsage;
  }
  return bench::run_fanout(o);
}

}  // namespace

void add_bench_commands(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<bench::BenchOptions>();
  auto* bench = app.add_subcommand("bench", "Load scenarios against a running kited");
  bench->require_subcommand(1);
  auto common = [o](CLI::App* s) {
    s->add_option("--host", o->host, "kited device listener address")->capture_default_str();
    s->add_option("--port", o->port, "kited device listener port")->capture_default_str();
    s->add_option("--master-key", o->master_key,
                  "fleet master key (hex): device keys derive from it")
        ->required()
        ->check(kHexKey);
    s->add_option("--devices", o->devices, "devices to connect")->capture_default_str();
    s->add_option("--concurrency", o->concurrency, "handshakes in progress at once")
        ->capture_default_str();
    s->add_option("--source-prefix", o->source_prefix,
                  "spread client sockets over PREFIX1..PREFIX250, e.g. 127.0.1.");
    s->add_option("--id-base", o->id_base, "device ids are bench-<id-base + i>")
        ->capture_default_str();
    s->add_option("--server-pid", o->server_pid, "kited's pid: report its CPU time and memory");
    s->add_flag("--json", o->json, "print the final report as one JSON object");
    add_tls_flags(*s, o->tls, /*client_certificate=*/false);
  };
  auto* p2p = bench->add_subcommand(
      "p2p", "A service sends QoS 1 messages to random devices; throughput and latency");
  common(p2p);
  p2p->add_option("--service", o->service, "service name (service:<name>)")->capture_default_str();
  p2p->add_option("--service-key", o->service_key, "that service's key (hex)")
      ->required()
      ->check(kHexKey);
  p2p->add_option("--seconds", o->seconds, "measuring time")->capture_default_str();
  p2p->add_option("--warmup", o->warmup, "seconds before measuring")->capture_default_str();
  p2p->add_option("--window", o->window, "messages in flight end to end")->capture_default_str();
  p2p->add_option("--rate", o->rate, "messages per second; 0 = as fast as the window allows")
      ->capture_default_str();
  p2p->add_option("--payload", o->payload, "payload bytes (at least 8)")->capture_default_str();
  auto* conn = bench->add_subcommand(
      "conn", "Connect, authenticate and close --devices devices: handshakes per second");
  common(conn);
  auto* idle = bench->add_subcommand(
      "idle", "Hold --devices authenticated connections for --seconds: server memory each");
  common(idle);
  idle->add_option("--seconds", o->seconds, "how long to hold them")->capture_default_str();
  auto* fanout = bench->add_subcommand(
      "fanout",
      "--devices devices (default here 10000) join one group; group messages go out through the "
      "admin API (POST /v1/messages): deliveries per second and per server core, latency to the "
      "last member");
  common(fanout);
  fanout->add_option("--api", o->api, "kited's admin API, http://IPv4:PORT")->capture_default_str();
  fanout->add_option("--admin-token", o->admin_token, "the admin API's bearer token")->required();
  fanout->add_option("--group", o->group, "group name (letters, digits, '.', '_', '-')")
      ->capture_default_str()
      ->check([](const std::string& name) -> std::string {
        const bool plain = !name.empty() && name.size() <= 128 &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                    c == '_' || c == '-';
                           });
        return plain ? "" : "use 1-128 letters, digits, '.', '_' or '-'";
      });
  fanout->add_option("--qos", o->qos, "0 (sent to online members) or 1 (stored, acknowledged)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1));
  fanout
      ->add_option("--burst", o->burst,
                   "messages per request: 1 = the single-message form, more = the batch form "
                   "(\"messages\": [...])")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  fanout->add_option("--window", o->window,
                     "messages in flight (sent, not yet received by every member); default "
                     "2 x burst, at most 64 (a member's credit: more drops QoS 0 messages)");
  fanout->add_option("--seconds", o->seconds, "measuring time")->capture_default_str();
  fanout->add_option("--warmup", o->warmup, "seconds before measuring")->capture_default_str();
  fanout
      ->add_option(
          "--messages", o->messages,
          "send this many messages, measured from the first (no warm-up), then stop; 0 = send "
          "for --warmup + --seconds")
      ->capture_default_str();
  fanout->add_option("--payload", o->payload, "payload bytes (at least 16)")->capture_default_str();
  fanout->add_flag("!--no-join", o->join,
                   "the devices are in the group already: skip PUT /v1/groups/{g}/members/{id}");
  fanout->add_flag("--per-device-answer", o->per_device_answer,
                   "ask for a status per device in each answer (\"report\": \"results\"); "
                   "default: counts only (\"report\": \"summary\")");
  commands.push_back({p2p, [o] { return bench::run_p2p(*o); }});
  commands.push_back({conn, [o] { return bench::run_conn(*o); }});
  commands.push_back({idle, [o] { return bench::run_idle(*o); }});
  commands.push_back({fanout, [o, fanout] { return run_fanout(*o, *fanout); }});
}

}  // namespace kite::cli
