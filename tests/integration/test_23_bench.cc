// `kite bench` against a real kited: the uplink scenario (devices publishing to kited), the
// error breakdown of every report, and --processes (children that split the devices, reports
// merged by the parent: counts add up, percentiles come from every sample). kited runs with the
// limits a load generator needs raised: the per-device uplink rate, the unauthenticated
// connections per address and the back-off after failed logins.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

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

// `kite bench SCENARIO` at this harness's device port with the tests' master key, then `args`.
KiteRun bench(const Harness& h, const std::string& scenario, std::vector<std::string> args,
              const std::string& master_key = master_key_hex()) {
  std::vector<std::string> all = {
      "bench",        scenario,   "--port",          std::to_string(h.kited.device_port()),
      "--master-key", master_key, "--source-prefix", "127.0.23."};
  all.insert(all.end(), args.begin(), args.end());
  return run_kite(all);
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

}  // namespace kite::it
