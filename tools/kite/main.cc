// kite: the command-line tool. Subcommands: bench (load generator). More arrive with the SDK
// issue (send, listen, keys, devices) and the tools issue (record, replay, decode, dict).
#include <CLI/CLI.hpp>

#include <csignal>

#include "bench/bench.h"
#include "kite/protocol/hex.h"

namespace {

// A key on the command line: 64 or more hex digits, refused with a clear message otherwise.
const CLI::Validator kHexKey(
    [](std::string& text) -> std::string {
      auto bytes = kite::protocol::hex_decode(text);
      if (!bytes || bytes->size() < 32) return "expected a key of 64 or more hex digits";
      return {};
    },
    "HEX KEY");

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a server that resets a connection must not end the tool
  CLI::App app{"kite: drive and measure a Kite server"};
  app.require_subcommand(1);
  kite::bench::BenchOptions o;
  auto* bench = app.add_subcommand("bench", "Load scenarios against a running kited");
  bench->require_subcommand(1);
  auto common = [&o](CLI::App* s) {
    s->add_option("--host", o.host, "kited device listener address")->capture_default_str();
    s->add_option("--port", o.port, "kited device listener port")->capture_default_str();
    s->add_option("--master-key", o.master_key,
                  "fleet master key (hex): device keys derive from it")
        ->required()
        ->check(kHexKey);
    s->add_option("--devices", o.devices, "devices to connect")->capture_default_str();
    s->add_option("--concurrency", o.concurrency, "handshakes in progress at once")
        ->capture_default_str();
    s->add_option("--source-prefix", o.source_prefix,
                  "spread client sockets over PREFIX1..PREFIX250, e.g. 127.0.1.");
    s->add_option("--id-base", o.id_base, "device ids are bench-<id-base + i>")
        ->capture_default_str();
    s->add_option("--server-pid", o.server_pid, "kited's pid: report its CPU time and memory");
    s->add_flag("--json", o.json, "print the final report as one JSON object");
  };
  auto* p2p = bench->add_subcommand(
      "p2p", "A service sends QoS 1 messages to random devices; throughput and latency");
  common(p2p);
  p2p->add_option("--service", o.service, "service name (service:<name>)")->capture_default_str();
  p2p->add_option("--service-key", o.service_key, "that service's key (hex)")
      ->required()
      ->check(kHexKey);
  p2p->add_option("--seconds", o.seconds, "measuring time")->capture_default_str();
  p2p->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  p2p->add_option("--window", o.window, "messages in flight end to end")->capture_default_str();
  p2p->add_option("--rate", o.rate, "messages per second; 0 = as fast as the window allows")
      ->capture_default_str();
  p2p->add_option("--payload", o.payload, "payload bytes (at least 8)")->capture_default_str();
  auto* conn = bench->add_subcommand(
      "conn", "Connect, authenticate and close --devices devices: handshakes per second");
  common(conn);
  auto* idle = bench->add_subcommand(
      "idle", "Hold --devices authenticated connections for --seconds: server memory each");
  common(idle);
  idle->add_option("--seconds", o.seconds, "how long to hold them")->capture_default_str();
  app.footer(
      "Exit codes: 0 ok, 1 the run failed (connections refused or closed, nothing delivered), "
      "2 usage error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*p2p) return kite::bench::run_p2p(o);
  if (*conn) return kite::bench::run_conn(o);
  return kite::bench::run_idle(o);
}
