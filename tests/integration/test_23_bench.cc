// `kite bench` against a real kited: the uplink scenario (devices publishing to kited), the
// error breakdown of every report, and --processes (children that split the devices, reports
// merged by the parent: counts add up, percentiles come from every sample). kited runs with the
// limits a load generator needs raised: the per-device uplink rate, the unauthenticated
// connections per address and the back-off after failed logins. A --processes run whose child
// dies, or that SIGINT stops, fails and leaves no child behind. --rate paces what is sent.
// storm (SDK devices) counts a fleet back through a kill -9 and a drain of kited.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "harness.h"
#include "kite_cli.h"

namespace kite::it {
namespace {

const std::string kServiceKeyHex(64, '7');  // the "bench" service's key: 32 bytes of 0x77

// A service credentials file naming the "bench" service, removed when the test ends.
struct BenchServiceFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("kite-it-bench-" + std::to_string(getpid()) + ".keys");
  BenchServiceFile() { std::ofstream(path) << "bench " << kServiceKeyHex << '\n'; }
  ~BenchServiceFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

// kited as `kite bench` needs it: no uplink rate limit to speak of, room for many handshakes
// from one address, and no back-off after a failed login (23.3 fails on purpose).
std::vector<std::string> bench_ready(const BenchServiceFile& service) {
  return {"--set", "session.uplink_rate_per_s=1000000",
          "--set", "session.uplink_burst=10000000",
          "--set", "auth.max_unauthenticated_per_ip=100000",
          "--set", "auth.failed_auth_backoff_base_ms=0",
          "--set", "auth.failed_auth_backoff_max_ms=0",
          "--set", "auth.service_credentials_file=" + service.path.string()};
}

// The arguments of `kite bench SCENARIO` at this harness's device port with the tests' master
// key, then `args`.
std::vector<std::string> bench_args(const Harness& h, const std::string& scenario,
                                    std::vector<std::string> args,
                                    const std::string& master_key = master_key_hex()) {
  std::vector<std::string> all = {
      "bench",        scenario,   "--port",          std::to_string(h.kited.device_port()),
      "--master-key", master_key, "--source-prefix", "127.0.23."};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

KiteRun bench(const Harness& h, const std::string& scenario, std::vector<std::string> args,
              const std::string& master_key = master_key_hex()) {
  return run_kite(bench_args(h, scenario, std::move(args), master_key));
}

nlohmann::json parse_report(const KiteRun& run) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  auto report = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  REQUIRE(report.is_object());
  return report;
}

// Percentiles in order, from `samples` samples.
void check_latency(const nlohmann::json& latency, std::uint64_t samples) {
  INFO("latency: " << latency.dump());
  REQUIRE(latency.is_object());
  for (const char* field : {"p50_us", "p90_us", "p99_us", "p999_us", "max_us", "samples"})
    REQUIRE(latency.contains(field));
  CHECK(latency["samples"] == samples);
  CHECK(latency["p50_us"] <= latency["p90_us"]);
  CHECK(latency["p90_us"] <= latency["p99_us"]);
  CHECK(latency["p99_us"] <= latency["p999_us"]);
  CHECK(latency["p999_us"] <= latency["max_us"]);
  CHECK(latency["max_us"] > 0);
}

// The device ids of kited's connect events so far.
std::multiset<std::string> connected_ids(const Harness& h) {
  auto answer = h.http.request("GET", "/v1/events?type=connect&after=0&wait=0s&limit=10000");
  INFO("GET /v1/events: " << answer.status << " " << answer.body.substr(0, 300));
  REQUIRE(answer.status == 200);
  const nlohmann::json body = answer.json();  // kept: the loop below reads into it
  REQUIRE(body["events"].is_array());
  std::multiset<std::string> ids;
  for (const auto& event : body["events"]) ids.insert(event["device"].get<std::string>());
  return ids;
}

// Polls until kited has `count` events of `type`, or kWait has passed.
bool wait_events(const Harness& h, const std::string& type, std::size_t count) {
  return h.wait_events("type=" + type + "&limit=10000", count)["events"].size() >= count;
}

struct BenchChild {
  pid_t pid;
  int index;  // its --child-index: the parent names it "process index+1/N"
};

// The arguments of process `pid` (/proc/PID/cmdline).
std::vector<std::string> arguments_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return args;
}

// The bench children `parent` runs now, found by their parent pid in /proc/PID/stat.
std::vector<BenchChild> children_of(pid_t parent) {
  std::vector<BenchChild> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
    // After "pid (comm)": the state, then the parent's pid. comm may hold spaces.
    std::istringstream rest(line.substr(line.rfind(')') + 1));
    std::string state;
    pid_t ppid = 0;
    if (!(rest >> state >> ppid) || ppid != parent) continue;
    const pid_t pid = std::stoi(name);
    const auto args = arguments_of(pid);
    const auto flag = std::find(args.begin(), args.end(), "--child-index");
    if (flag != args.end() && flag + 1 != args.end())
      children.push_back({pid, std::stoi(*(flag + 1))});
  }
  return children;
}

// No process has this pid any more: it ended and was reaped (by its parent, or by init for an
// orphan, which then would have run on until now).
bool gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// `kite bench idle --processes 2` holding 4 devices for a minute, started once both children
// have connected theirs.
std::unique_ptr<ChildProcess> start_holding(const Harness& h) {
  auto kite = std::make_unique<ChildProcess>(
      "kite bench", KITE_PATH,
      bench_args(h, "idle", {"--processes", "2", "--devices", "4", "--seconds", "60"}));
  REQUIRE(wait_events(h, "connect", 4));
  return kite;
}

}  // namespace

TEST_CASE("23.1 bench: uplink publishes to kited and reports acks, ordered latencies, no errors") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto run = bench(h, "uplink",
                   {"--devices", "20", "--seconds", "1", "--warmup", "0.2", "--server-pid",
                    std::to_string(h.kited.pid()), "--json"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  auto report = parse_report(run);
  CHECK(report["scenario"] == "uplink");
  CHECK(report["connected"] == 20);
  const auto acked = report["acked"].get<std::uint64_t>();
  CHECK(acked > 0);
  CHECK(report["msgs_per_s"] > 0);
  CHECK(report["seconds"] >= 0.9);
  CHECK(report["server_cpu_s"] > 0);  // --server-pid: kited's CPU time over the window
  CHECK(report["msgs_per_server_core_s"] > 0);
  check_latency(report["latency"], acked);
  CHECK(report["failures"] == 0);
  CHECK(report["errors"] == nlohmann::json::object());
  // kited counted them too: every acked message is an uplink event.
  auto events = h.http.request("GET", "/v1/events?type=uplink&after=0&wait=0s&limit=10000").json();
  CHECK(events["events"].size() >= std::min<std::uint64_t>(acked, 10'000));
}

TEST_CASE("23.2 bench: conn --processes 2 connects every device once and merges the histograms") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto run = bench(h, "conn", {"--processes", "2", "--devices", "200", "--json"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  auto report = parse_report(run);
  CHECK(report["processes"] == 2);
  CHECK(report["connections"] == 200);
  CHECK(report["failed"] == 0);
  CHECK(report["per_s"] > 0);
  check_latency(report["handshake"], 200);  // one sample per handshake, from both children
  CHECK(report["errors"] == nlohmann::json::object());
  // The two children split the ids: 200 different devices, none twice.
  CHECK(wait_events(h, "connect", 200));
  const auto ids = connected_ids(h);
  CHECK(ids.size() == 200);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 200);
}

TEST_CASE("23.3 bench: failures are counted by kind: a wrong master key is refused:AuthFailed") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  const std::string wrong_key(64, 'e');
  auto run = bench(h, "conn", {"--devices", "12", "--json"}, wrong_key);
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 1);
  auto report = parse_report(run);
  CHECK(report["connections"] == 0);
  CHECK(report["failed"] == 12);
  CHECK(report["errors"] == nlohmann::json{{"refused:AuthFailed", 12}});

  // The text report: one line per kind. Nothing listens on a fresh port: connect_refused.
  auto text = bench(h, "conn", {"--devices", "12"}, wrong_key);
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("refused:AuthFailed 12\n") != std::string::npos);
  auto nobody = run_kite({"bench", "idle", "--port", std::to_string(free_port()), "--master-key",
                          master_key_hex(), "--devices", "3", "--seconds", "0", "--json"});
  INFO("idle, nobody listening: " << nobody.out << nobody.err);
  CHECK(nobody.exit_code == 1);
  CHECK(parse_report(nobody)["errors"] == nlohmann::json{{"connect_refused", 3}});
}

TEST_CASE("23.4 bench: p2p --processes 2 delivers through a service each and merges the report") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto run = bench(h, "p2p",
                   {"--processes", "2", "--devices", "20", "--seconds", "1", "--warmup", "0.2",
                    "--window", "32", "--service-key", kServiceKeyHex, "--json"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  auto report = parse_report(run);
  CHECK(report["processes"] == 2);
  CHECK(report["devices"] == 20);
  CHECK(report["connected"] == 20);
  const auto delivered = report["delivered"].get<std::uint64_t>();
  CHECK(delivered > 0);
  CHECK(report["seconds"] >= 0.9);
  check_latency(report["latency"], delivered);  // every delivery measured, in either child
  CHECK(report["errors"] == nlohmann::json::object());
}

TEST_CASE("23.8 bench: p2p --http sends through the admin API; kited times those deliveries") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto run = bench(h, "p2p",
                   {"--devices", "20", "--seconds", "1", "--warmup", "0.2", "--http", "2", "--api",
                    "http://127.0.0.1:" + std::to_string(h.kited.admin_port()), "--admin-token",
                    kAdminToken, "--json"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  auto report = parse_report(run);
  CHECK(report["connected"] == 20);
  const auto delivered = report["delivered"].get<std::uint64_t>();
  CHECK(delivered > 0);
  check_latency(report["latency"], delivered);
  CHECK(report["errors"] == nlohmann::json::object());
  // Single API sends are carried to the device's worker, so the delivery histogram counts them.
  const std::string metrics = h.http.request("GET", "/metrics").body;
  const auto at = metrics.find("kite_delivery_latency_seconds_count ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoull(metrics.substr(at + 36)) >= delivered);
}

TEST_CASE("23.5 bench: --processes 2 with a child killed names it, stops the other, fails") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto kite = start_holding(h);
  const auto children = children_of(kite->pid());
  REQUIRE(children.size() == 2);
  const BenchChild& victim = children[1];
  REQUIRE(::kill(victim.pid, SIGKILL) == 0);

  const auto code = kite->wait_exit(2 * kWait);
  INFO("stdout: " << kite->out() << "\nstderr: " << kite->err());
  REQUIRE(code);
  CHECK(*code == 1);
  const std::string named = "process " + std::to_string(victim.index + 1) + "/2 (pid " +
                            std::to_string(victim.pid) +
                            ") was killed by signal 9 (Killed) without a report";
  CHECK(kite->err().find(named) != std::string::npos);
  CHECK(kite->err().find("stopping the other 1 process(es)") != std::string::npos);
  CHECK(kite->out().empty());  // no report: half the devices' counts are lost
  for (const auto& child : children) CHECK(gone(child.pid));
  CHECK(wait_events(h, "disconnect", 4));  // the survivor's devices are let go too
}

TEST_CASE("23.6 bench: SIGINT stops a --processes 2 run at once, children included") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  auto kite = start_holding(h);
  const auto children = children_of(kite->pid());
  REQUIRE(children.size() == 2);

  const Millis interrupted = now_ms();
  kite->signal(SIGINT);
  const auto code = kite->wait_exit(2 * kWait);
  INFO("stdout: " << kite->out() << "\nstderr: " << kite->err());
  REQUIRE(code);
  // The parent SIGTERMs the children and SIGKILLs those still there 3 s later: well under
  // that, they obeyed SIGTERM; and --seconds 60 was cut short.
  CHECK(now_ms() - interrupted < 2'000);
  CHECK(*code == 1);
  CHECK(kite->err().find("interrupted (Interrupt); stopping 2 process(es)") != std::string::npos);
  CHECK(kite->out().empty());  // an interrupted --processes run prints no report
  for (const auto& child : children) CHECK(gone(child.pid));
  CHECK(wait_events(h, "disconnect", 4));
}

TEST_CASE("23.7 bench: --rate paces uplink and p2p to about that many messages a second") {
  BenchServiceFile service;
  Harness h(bench_ready(service));
  // 200/s over 1 s: unpaced, kited takes thousands; a pacer that never spends sends none. The
  // bounds leave room for a loaded machine (late timers send less, never more than the bucket).
  const std::vector<std::string> paced = {"--devices", "10",     "--seconds", "1",     "--warmup",
                                          "0.2",       "--rate", "200",       "--json"};
  for (const std::string scenario : {"uplink", "p2p"}) {
    auto args = paced;
    if (scenario == "p2p") args.insert(args.end(), {"--service-key", kServiceKeyHex});
    auto run = bench(h, scenario, args);
    INFO(scenario << " stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == 0);
    auto report = parse_report(run);
    CHECK(report["rate"] == 200);
    CHECK(report["sent"] >= 100);
    CHECK(report["sent"] <= 260);
    CHECK(report["errors"] == nlohmann::json::object());
  }
}

namespace {

// `kite bench storm` with SDK devices in 2 processes, messages both ways, until the parent says
// every device is connected; then `interrupt` drains or kills kited and it starts again on the
// same ports and data directory. The report must count every device back, resumed, with
// nothing lost or handed to an app twice either way.
nlohmann::json storm_through(Harness& h, const std::function<void()>& interrupt) {
  ChildProcess kite("kite bench storm", KITE_PATH,
                    {"bench",         "storm",
                     "--port",        std::to_string(h.kited.device_port()),
                     "--master-key",  master_key_hex(),
                     "--devices",     "20",
                     "--processes",   "2",
                     "--seconds",     "5",
                     "--settle",      "15",
                     "--down-rate",   "40",
                     "--up-rate",     "40",
                     "--api",         "http://127.0.0.1:" + std::to_string(h.kited.admin_port()),
                     "--admin-token", kAdminToken,
                     "--json"});
  REQUIRE(kite.wait_err("running: 20/20 connected", kWait));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // messages in flight both ways
  interrupt();
  h.kited.restart(/*same_ports=*/true);
  const auto code = kite.wait_exit(4 * kWait);
  INFO("stdout: " << kite.out() << "\nstderr: " << kite.err());
  REQUIRE(code);
  CHECK(*code == 0);
  auto report = nlohmann::json::parse(kite.out(), nullptr, /*allow_exceptions=*/false);
  REQUIRE(report.is_object());
  const auto& storm = report["storm"];
  CHECK(report["devices"] == 20);
  CHECK(storm["devices_back"] == 20);
  CHECK(storm["resumed"] == storm["reopened"]);
  CHECK(storm["connected_at_end"] == 20);
  CHECK(storm["downlink"]["accepted"].get<std::uint64_t>() > 0);
  CHECK(storm["downlink"]["lost"] == 0);
  CHECK(storm["downlink"]["duplicated"] == 0);
  CHECK(storm["uplink"]["accepted"].get<std::uint64_t>() > 0);
  CHECK(storm["uplink"]["failed"] == 0);
  CHECK(storm["uplink"]["accepted"] == storm["uplink"]["published"]);
  std::uint64_t opened = 0;
  for (const auto& bucket : storm["opened_by_bucket"]) opened += bucket[1].get<std::uint64_t>();
  CHECK(opened == storm["reopened"]);  // the curve holds every reopening
  return report;
}

// kited as storm needs it: every device dials from 127.0.0.1.
std::vector<std::string> storm_ready(std::string spread_ms) {
  return {"--set", "auth.max_unauthenticated_per_ip=100000",
          "--set", "device.max_connections_per_ip=0",
          "--set", "server.drain_reconnect_spread_ms=" + spread_ms};
}

}  // namespace

TEST_CASE("23.9 bench: storm brings SDK devices back after kill -9, resumed, nothing lost") {
  Harness h(storm_ready("1000"));
  const auto report = storm_through(h, [&] { h.kited.kill9(); });
  CHECK(report["storm"]["ended_by_reason"]["ConnectionLost"].get<std::uint64_t>() >= 20);
}

TEST_CASE(
    "23.10 bench: storm after a drain: every device told ServerShutdown, back in the spread") {
  Harness h(storm_ready("1000"));
  const auto report = storm_through(h, [&] { CHECK(h.kited.terminate() == 0); });
  CHECK(report["storm"]["ended_by_reason"]["ServerShutdown"].get<std::uint64_t>() >= 20);
}

}  // namespace kite::it
