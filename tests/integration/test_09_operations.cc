// Operations: /metrics is Prometheus text whose counters move with traffic; /readyz; SIGTERM
// drains (not ready first, then goaway with spread reconnect-after values) and exits cleanly.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace kite::it {
namespace {

// The samples of an exposition body, "name{labels}" -> value; fails the test on any line that
// is not a comment or a sample of the text format.
std::map<std::string, double> parse_prometheus(const std::string& body) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})?) )"
      R"((-?[0-9.]+(e[-+]?[0-9]+)?|\+Inf|-Inf|NaN)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  std::map<std::string, double> samples;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, comment)) continue;
    INFO("line: " << line);
    REQUIRE(std::regex_match(line, match, sample));
    samples[match[1]] = std::stod(match[5]);
  }
  return samples;
}

std::map<std::string, double> scrape(const Harness& h) {
  auto response = h.http.request("GET", "/metrics");  // needs the read scope
  REQUIRE(response.status == 200);
  CHECK(response.headers.find("text/plain; version=0.0.4") != std::string::npos);
  return parse_prometheus(response.body);
}

}  // namespace

TEST_CASE("09.1 operations: /metrics parses as Prometheus text and its counters move") {
  Harness h;
  auto before = scrape(h);
  CHECK(before["kite_workers"] == 2);
  CHECK(before["kite_connections{state=\"device\"}"] == 0);

  TestDevice device(h.device_options("meter-1"));
  device.connect_and_open();
  for (int i = 0; i < 3; ++i) h.send_ok("meter-1", numbered("m", i));
  h.send_ok("meter-1", std::string(4096, 'x'));  // compresses well: the ratio must show it
  REQUIRE(device.take_messages(4, kWait).size() == 4);
  auto bad_options = h.device_options("meter-2");
  bad_options.key = protocol::DeviceKey{};  // wrong key
  TestDevice bad(bad_options);
  bad.connect();
  REQUIRE(bad.wait_closed(kWait));
  h.wait_device("meter-1", [](const auto& b) { return b["queued"] == 0; }, {&device});

  auto after = scrape(h);
  CHECK(after["kite_connections{state=\"device\"}"] == 1);
  CHECK(after["kite_devices_online"] == 1);
  CHECK(after["kite_messages_total{direction=\"out\"}"] -
            before["kite_messages_total{direction=\"out\"}"] ==
        4);
  CHECK(after["kite_store_enqueued_total"] - before["kite_store_enqueued_total"] == 4);
  CHECK(after["kite_store_acked_total"] - before["kite_store_acked_total"] == 4);
  // Copied from the workers' encoders on their 10 ms tick: the scrape came later.
  CHECK(after["kite_frames_compressed_total"] >= 1);
  CHECK(after["kite_frames_written_total"] > after["kite_frames_compressed_total"]);
  CHECK(after["kite_frame_body_bytes_total{stage=\"written\"}"] + 3000 <
        after["kite_frame_body_bytes_total{stage=\"encoded\"}"]);
  CHECK(after["kite_handshake_failures_total{reason=\"AuthFailed\"}"] == 1);
  CHECK(after["kite_bytes_total{direction=\"out\"}"] >
        before["kite_bytes_total{direction=\"out\"}"]);
  CHECK(after["kite_handshakes_total"] - before["kite_handshakes_total"] == 1);
  CHECK(after["kite_queued_messages"] == 0);
  CHECK(after["kite_store_healthy"] == 1);
  CHECK(after.contains("kite_delivery_latency_seconds_count"));

  auto ready = h.http.request("GET", "/readyz", "", false);
  CHECK(ready.status == 200);
  CHECK(ready.json()["status"] == "ready");
}

TEST_CASE(
    "09.2 operations: SIGTERM drains: not ready, goaway with spread reconnect-after, exit 0") {
  Harness h(
      {"--set", "server.drain_delay_ms=1500", "--set", "server.drain_reconnect_spread_ms=10000"});
  std::vector<std::unique_ptr<TestDevice>> devices;
  std::vector<TestDevice*> all;
  for (int i = 0; i < 20; ++i) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options(numbered("drain", i))));
    all.push_back(devices.back().get());
    all.back()->connect_and_open();
  }
  h.kited.signal(SIGTERM);
  // Not ready during the delay, and the devices are still connected.
  nlohmann::json readiness;
  const Millis deadline = now_ms() + kWait;
  int status = 0;
  while (now_ms() < deadline) {
    auto answer = h.http.request("GET", "/readyz", "", false);
    status = answer.status;
    readiness = answer.json();
    if (status == 503) break;
  }
  CHECK(status == 503);
  CHECK(readiness["status"] == "draining");
  for (auto* d : all) CHECK(d->is_open());

  REQUIRE(pump_devices(all, 2 * kWait, [&] {
    return std::all_of(all.begin(), all.end(), [](TestDevice* d) { return d->closed(); });
  }));
  std::set<std::uint32_t> spread;
  for (auto* d : all) {
    CHECK(d->closed()->reason == Reason::ServerShutdown);
    CHECK(d->closed()->reconnect_after_ms <= 10'000);
    spread.insert(d->closed()->reconnect_after_ms);
  }
  CHECK(spread.size() >= 10);  // 20 draws from 0..10000 ms: not one value for all
  const Millis stopping = now_ms();
  const int exit_status = h.kited.terminate(3 * kWait);
  INFO("exit status " << exit_status << " after " << now_ms() - stopping << " ms");
  REQUIRE(WIFEXITED(exit_status));
  CHECK(WEXITSTATUS(exit_status) == 0);
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("09.3 operations: SIGHUP applies new admission limits from the config file") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("kite-it-reload-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "[auth]\nmax_unauthenticated_per_ip = 50\n";
  struct Remove {
    std::filesystem::path path;
    ~Remove() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } remove{path};
  Harness h({"--config", path.string()});

  // Three connections that never say hello are within the cap of 50.
  std::vector<std::unique_ptr<RawSocket>> waiting;
  for (int i = 0; i < 3; ++i)
    waiting.push_back(std::make_unique<RawSocket>(h.kited.device_port(), "127.0.0.5"));
  for (auto& s : waiting) s->read_for(20);
  for (auto& s : waiting) CHECK_FALSE(s->peer_closed());

  std::ofstream(path) << "[auth]\nmax_unauthenticated_per_ip = 2\n";
  h.kited.signal(SIGHUP);
  const Millis deadline = now_ms() + kWait;
  while (h.kited.log().find("server.reloaded") == std::string::npos && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace
  REQUIRE(h.kited.log().find("server.reloaded") != std::string::npos);

  RawSocket over(h.kited.device_port(), "127.0.0.5");
  REQUIRE(over.read_until_closed(kWait));
  auto goodbye = goodbye_in(over.received());
  REQUIRE(goodbye);
  CHECK(goodbye->reason == Reason::TooManyAttempts);
  // Another address is still admitted, and devices still authenticate with the same keys.
  TestDevice device(h.device_options("after-reload"));
  device.connect_and_open();
  CHECK(device.is_open());
}

}  // namespace kite::it
