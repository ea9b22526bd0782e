#include "replay/replay.h"

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/exit_code.h"
#include "flags/capture_flags.h"
#include "flags/key_flags.h"
#include "flags/tls_flags.h"
#include "kite/capture/capture_reader.h"
#include "kite/capture/transcript.h"
#include "replay/replay_keys.h"
#include "replay/replay_plan.h"
#include "replay/replay_report.h"
#include "replay/replay_run.h"

namespace kite::cli {
namespace {

struct ReplayOptions {
  std::vector<std::string> files;
  std::uint16_t port = 7000;
  std::string target = "127.0.0.1:7000";
  KeySource master_key;
  std::string key_file;
  double speed = 1;
  bool top_speed = false;
  std::uint64_t loops = 1;
  std::uint64_t linger_ms = 1000;
  bool json = false;
  TlsOptions tls;
  std::vector<std::string> dictionaries;
};

constexpr const char* kExamples = R"(Examples:
  kite replay --master-key-file m.key /var/lib/kite/record/kite-*-w*.pcap
  kite replay --target 10.0.0.5:7000 --key-file keys.txt --speed 10 --loop 0 capture.pcap
  sudo tcpdump -i lo -U -w kite.pcap tcp port 7000; kite replay --top-speed --json kite.pcap
Exit codes of kite replay: 0 every device replayed and was acknowledged; 1 some devices failed
(refused messages, closed early, not replayable: no Hello captured or no key); 2 usage error or
an input file that cannot be opened; 3 kited cannot be reached or refused the credentials.
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite replay: %s (kite replay --help)\n", problem.c_str());
  return kExitUsage;
}

// "IP:port" or "[IPv6]:port", numeric: replay opens many connections and resolves nothing.
std::string parse_target(const std::string& text, std::string& host, sockaddr_storage& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return "--target must be host:port";
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  if (port < 1 || port > 65535) return "--target: the port must be from 1 to 65535";
  out = {};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return {};
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) return {};
  return "--target: not a numeric address: " + host;
}

std::optional<ReplayKeys> keys_of(const ReplayOptions& o, std::string& error) {
  const bool master = o.master_key.on_command_line();
  if (master && !o.key_file.empty()) {
    error = "give either --master-key (or --master-key-file) or --key-file";
    return std::nullopt;
  }
  if (!o.key_file.empty()) return ReplayKeys::from_file(o.key_file, error);
  if (!o.master_key.given()) {
    error =
        "no keys: give --master-key, --master-key-file or --key-file (or set "
        "KITE_AUTH_MASTER_KEY)";
    return std::nullopt;
  }
  auto key = read_key(o.master_key, error);
  if (!key) return std::nullopt;
  return ReplayKeys::from_master(std::move(*key));
}

// The plans of the captured connections; what cannot be replayed is told on stderr and
// counted in `unplayable`.
std::vector<DevicePlan> read_plans(const ReplayOptions& o, const ReplayKeys& keys,
                                   const ReplaySettings& s, std::size_t& unplayable,
                                   bool& unreadable) {
  capture::CaptureOptions options;
  options.server_port = o.port;
  capture::CaptureReader reader(capture::CaptureReader::open_files(o.files), options);
  auto transcripts = capture::read_transcripts(reader);
  for (const auto& input : reader.inputs()) {
    if (input.error.empty()) continue;
    std::fprintf(stderr, "kite replay: %s: %s\n", input.name.c_str(), input.error.c_str());
    unreadable |= input.packets == 0;
  }
  std::vector<DevicePlan> playable;
  for (auto& plan : plan_replay(transcripts, s.dictionaries)) {
    for (const auto& problem : plan.problems)
      std::fprintf(stderr, "kite replay: %s %s: %s\n", plan.connection.c_str(),
                   plan.device_id.c_str(), problem.c_str());
    if (plan.device_id.empty() || !keys.key_for(plan.device_id)) {
      if (!plan.device_id.empty())
        std::fprintf(stderr, "kite replay: %s: no key for device %s in --key-file: skipped\n",
                     plan.connection.c_str(), plan.device_id.c_str());
      ++unplayable;
      continue;
    }
    playable.push_back(std::move(plan));
  }
  if (transcripts.empty())
    std::fprintf(stderr, "kite replay: no Kite connection in the capture%s\n",
                 reader.stats().tcp_connections == 0 ? " (is --port right?)" : "");
  return playable;
}

int run_replay_command(const ReplayOptions& o) {
  if (std::count(o.files.begin(), o.files.end(), "-") > 1)
    return usage_error("stdin (-) can be read only once");
  ReplaySettings s;
  if (auto problem = parse_target(o.target, s.host, s.target); !problem.empty())
    return usage_error(problem);
  std::string error;
  auto keys = keys_of(o, error);
  if (!keys) return usage_error(error);
  s.dictionaries = load_dictionaries(o.dictionaries, error);
  if (!error.empty()) return usage_error(error);
  std::size_t unplayable = 0;
  bool unreadable = false;
  s.plans = read_plans(o, *keys, s, unplayable, unreadable);
  if (unreadable) return kExitUsage;
  s.tls = o.tls;
  s.pace = {o.speed, o.top_speed, o.linger_ms};
  s.loops = o.loops;

  const auto started = std::chrono::steady_clock::now();
  auto reports = run_replay(s, *keys, error);
  if (!error.empty()) return usage_error(error);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string out =
      o.json ? report_json(reports, seconds).dump() + "\n" : report_text(reports, seconds);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  const bool unreachable =
      std::any_of(reports.begin(), reports.end(), [](auto& r) { return r.errors.unreachable; });
  const bool failed =
      std::any_of(reports.begin(), reports.end(), [](auto& r) { return r.failed(); });
  if (unreachable) return kExitUnreachable;
  return failed || unplayable > 0 || reports.empty() ? kExitFailed : kExitOk;
}

}  // namespace

void add_replay_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<ReplayOptions>();
  auto* replay = app.add_subcommand(
      "replay",
      "Play every device connection of Kite recordings and tcpdump captures against a live "
      "kited: each becomes a device that authenticates afresh (its key derived from the master "
      "key, or from --key-file) and re-issues its captured uplink messages (publish, subscribe) "
      "at the captured pace; acks, pings and credit are the new session's own, and replies to "
      "commands are not replayed. Connections of one device run one after another. Progress on "
      "stderr each second; a report per device and in total at the end");
  replay->add_option("files", o->files, "capture files (pcap); - reads stdin")
      ->required()
      ->type_name("FILE|-");
  add_capture_port_flag(*replay, o->port);
  replay->add_option("--target", o->target, "the kited to play against: IP:port or [IPv6]:port")
      ->capture_default_str();
  add_key_source(*replay, "master-key", "KITE_AUTH_MASTER_KEY",
                 "the fleet master key (each device's key is derived from it)", o->master_key);
  replay
      ->add_option("--key-file", o->key_file,
                   "device keys instead of the master key: lines \"device-id hexkey\"")
      ->check(CLI::ExistingFile);
  auto* speed = replay
                    ->add_option("--speed", o->speed,
                                 "play this many times faster than captured (0.5: half as fast)")
                    ->check(CLI::Range(0.001, 1e6))
                    ->capture_default_str();
  replay->add_flag("--top-speed", o->top_speed, "send as fast as kited's credit allows")
      ->excludes(speed);
  replay->add_option("--loop", o->loops, "play the whole capture N times; 0: until SIGINT")
      ->type_name("N")
      ->capture_default_str();
  replay
      ->add_option("--linger-ms", o->linger_ms,
                   "once a device has sent everything and been acked, wait at most this long "
                   "for the downlink messages the capture saw")
      ->capture_default_str();
  replay->add_flag("--json", o->json, "the final report as one JSON object (see docs/cli.md)");
  add_tls_flags(*replay, o->tls, /*client_certificate=*/false);
  add_dictionary_flag(*replay, o->dictionaries,
                      "a zstd dictionary the captured devices held: their frames compressed "
                      "with it are read, and the replayed devices hold it too");
  replay->footer([] { return std::string(kExamples); });
  commands.push_back({replay, [o] { return run_replay_command(*o); }});
}

}  // namespace kite::cli
