// `kite replay` against a real kited: a device's conversation with kited A is captured (by
// tcpdump, then by kited's own recording), and replayed against a fresh kited B. B must see
// the same uplink messages (GET /v1/events), and the report's counts must match the capture.
// --loop plays a recording again in fresh sessions, and --speed scales the captured gaps between
// uplink messages, which kited B's event times show.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <sstream>

#include "child_process.h"
#include "harness.h"
#include "kite_cli.h"
#include "sse_client.h"
#include "tcpdump.h"
#include "test_pki.h"

namespace kite::it {
namespace {

using Json = nlohmann::json;

const std::vector<std::string> kUplinks = {"reading-1", "reading-2: {\"kwh\":3}", "reading-3"};
const std::vector<std::string> kDownlinks = {"set-point 21", "set-point 22"};

// A device on `h` publishes kUplinks (acked) and receives kDownlinks from the API, then says
// goodbye.
void converse(Harness& h, const std::string& id) {
  TestDevice device(h.device_options(id));
  device.connect_and_open();
  for (const auto& payload : kUplinks)
    REQUIRE(device.publish(payload) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait,
                            [&] { return device.uplink_acked_through() >= kUplinks.size(); }));
  for (const auto& payload : kDownlinks) h.send_ok(id, payload);
  REQUIRE(device.take_messages(kDownlinks.size(), kWait).size() == kDownlinks.size());
  auto body = h.wait_device(id, [](const Json& b) { return b["queued"] == 0; }, {&device});
  REQUIRE(body["queued"] == 0);
  device.close();
  device.wait_socket_closed(kWait);
}

// Polls `kite decode` on the files `list()` names until the connection's close is in them
// (tcpdump and kited's recorder both write as they go); returns the files.
template <typename List>
std::vector<std::string> wait_closed_in(List list, std::uint16_t port) {
  const Millis deadline = now_ms() + kWait;
  do {
    std::vector<std::string> files = list();
    std::vector<std::string> args = {"decode", "--json", "--port", std::to_string(port)};
    args.insert(args.end(), files.begin(), files.end());
    if (!files.empty() && run_kite(args).out.find("\"event\":\"closed\"") != std::string::npos)
      return files;
    usleep(50'000);  // polling pace, not a sync
  } while (now_ms() < deadline);
  return {};
}

// Replays `files` against a fresh kited and checks that it received the captured uplink and
// that the report counts what the capture holds.
void check_replay(const std::string& id, std::uint16_t captured_port,
                  const std::vector<std::string>& files) {
  Harness b;
  SseClient stream(b.kited.admin_port(), kAdminToken, "/v1/events?type=uplink");
  REQUIRE(stream.status() == 200);
  std::vector<std::string> args = {"replay",
                                   "--port",
                                   std::to_string(captured_port),
                                   "--target",
                                   "127.0.0.1:" + std::to_string(b.kited.device_port()),
                                   "--master-key",
                                   master_key_hex(),
                                   "--top-speed",
                                   "--linger-ms",
                                   "300",
                                   "--json"};
  args.insert(args.end(), files.begin(), files.end());
  const KiteRun run = run_kite(args);
  INFO("kite replay stdout:\n" << run.out << "\nstderr:\n" << run.err);
  CHECK(run.exit_code == 0);
  const Json report = Json::parse(run.out, nullptr, false);
  REQUIRE(report.is_object());
  const Json& total = report["total"];
  CHECK(total["devices"] == 1);
  CHECK(total["failed"] == 0);
  CHECK(total["uplink_sent"] == kUplinks.size());
  CHECK(total["uplink_captured"] == kUplinks.size());
  CHECK(total["downlink_captured"] == kDownlinks.size());
  CHECK(total["acks_received"] == kUplinks.size());
  CHECK(total["acks_captured"] == kUplinks.size());
  CHECK(total["latency_ms"]["samples"] == kUplinks.size());
  CHECK(total["errors"].empty());
  REQUIRE(report["devices"].size() == 1);
  CHECK(report["devices"][0]["device"] == id);

  // B saw the same uplink messages, in order, from the same device.
  for (const auto& payload : kUplinks) {
    auto event = stream.next(kWait);
    REQUIRE(event);
    CHECK(event->type == "uplink");
    CHECK(event->json()["device"] == id);
    CHECK(event->json()["payload"] == payload);
  }
}

// Spread uplink for --loop and --speed: two ticks kGapMs apart, so that the captured span is
// long next to the noise of a loaded machine and pacing shows in kited's event times.
const std::vector<std::string> kTicks = {"tick-1", "tick-2"};
constexpr int kGapMs = 600;

// The recording files in `dir`, once the recorded connection has closed in them.
std::vector<std::string> recorded_files(const test::TempDir& dir) {
  return wait_closed_in(
      [&] {
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
          found.push_back(entry.path().string());
        return found;
      },
      7000);  // a recording names its server side: --port does not matter
}

// The uplink events kited `h` has recorded for `id`, oldest first, once there are `count` (or
// kWait has passed).
std::vector<Json> uplink_events(const Harness& h, const std::string& id, std::size_t count) {
  std::vector<Json> events;
  const Millis deadline = now_ms() + kWait;
  do {
    auto answer = h.http.request("GET", "/v1/events?type=uplink&after=0&wait=0s&limit=1000");
    REQUIRE(answer.status == 200);
    const Json body = answer.json();  // kept: the loop below reads into it
    events.clear();
    for (const auto& event : body["events"])
      if (event["device"] == id) events.push_back(event);
    if (events.size() >= count) break;
    usleep(20'000);  // polling pace, not a sync
  } while (now_ms() < deadline);
  return events;
}

// kited's time between the last two uplink events of `events` (ms): the pace it saw.
std::int64_t last_gap_ms(const std::vector<Json>& events) {
  REQUIRE(events.size() >= 2);
  return events.back()["time"].get<std::int64_t>() -
         events[events.size() - 2]["time"].get<std::int64_t>();
}

// A device on `a` (a recording kited) publishes kTicks kGapMs apart, each acked, then says
// goodbye. Returns the span between the ticks as `a` saw them (ms): what the recording holds.
std::int64_t publish_ticks(Harness& a, const std::string& id) {
  TestDevice device(a.device_options(id));
  device.connect_and_open();
  REQUIRE(device.publish(kTicks[0]) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= 1; }));
  // The gap is the point of the capture: the device keeps its session alive meanwhile.
  device.pump_until(now_ms() + kGapMs, [] { return false; });
  REQUIRE(device.publish(kTicks[1]) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= 2; }));
  device.close();
  device.wait_socket_closed(kWait);
  return last_gap_ms(uplink_events(a, id, kTicks.size()));
}

// `kite replay --json` of `files` against `b`, with `pace` (--speed, --top-speed, --loop...).
// The ticks' capture holds no downlink: a device ends once its uplink is acked, no linger.
KiteRun replay_against(const Harness& b, const std::vector<std::string>& files,
                       const std::vector<std::string>& pace) {
  const std::string target = "127.0.0.1:" + std::to_string(b.kited.device_port());
  std::vector<std::string> args = {"replay",       "--target",       target,
                                   "--master-key", master_key_hex(), "--json"};
  args.insert(args.end(), pace.begin(), pace.end());
  args.insert(args.end(), files.begin(), files.end());
  return run_kite(args);
}

// The report of a replay that must have succeeded.
Json parse_report(const KiteRun& run) {
  INFO("kite replay stdout:\n" << run.out << "\nstderr:\n" << run.err);
  CHECK(run.exit_code == 0);
  Json report = Json::parse(run.out, nullptr, false);
  REQUIRE(report.is_object());
  return report;
}

}  // namespace

TEST_CASE("24.1 replay: a tcpdump capture of a device plays its uplink against another kited") {
  Harness a;
  const std::uint16_t port = a.kited.device_port();
  Tcpdump capture(port);
  const std::string id = "replay-meter-1";
  converse(a, id);
  const auto files =
      wait_closed_in([&] { return std::vector<std::string>{capture.file().string()}; }, port);
  REQUIRE_FALSE(files.empty());
  capture.stop();
  check_replay(id, port, {capture.file().string()});

  // Nobody listens on port 1: kited cannot be reached, exit 3, and the text report says why.
  const KiteRun unreachable =
      run_kite({"replay", "--port", std::to_string(port), "--target", "127.0.0.1:1", "--master-key",
                master_key_hex(), capture.file().string()});
  INFO("kite replay stdout:\n" << unreachable.out << "\nstderr:\n" << unreachable.err);
  CHECK(unreachable.exit_code == 3);
  CHECK(unreachable.out.find("1 connect refused") != std::string::npos);
}

TEST_CASE("24.2 replay: a kited recording plays its uplink against another kited") {
  test::TempDir dir;
  Harness a({"--set", "record.enabled=true", "--set", "record.directory=" + dir.path().string()});
  const std::string id = "replay-meter-2";
  converse(a, id);
  const auto files = recorded_files(dir);
  REQUIRE_FALSE(files.empty());
  check_replay(id, 7000, files);
}

TEST_CASE("24.3 replay: --loop 3 plays the recording three times, each in a fresh session") {
  test::TempDir dir;
  Harness a({"--set", "record.enabled=true", "--set", "record.directory=" + dir.path().string()});
  const std::string id = "replay-loop-1";
  publish_ticks(a, id);
  const auto files = recorded_files(dir);
  REQUIRE_FALSE(files.empty());

  Harness b;
  const KiteRun run = replay_against(b, files, {"--top-speed", "--loop", "3"});
  INFO("kite replay stdout:\n" << run.out << "\nstderr:\n" << run.err);
  const Json report = parse_report(run);
  const Json& total = report["total"];
  CHECK(total["failed"] == 0);
  CHECK(total["sessions"] == 3);
  CHECK(total["connected"] == 3);
  CHECK(total["uplink_sent"] == 3 * kTicks.size());
  CHECK(total["uplink_captured"] == 3 * kTicks.size());  // the capture's count, once per run
  CHECK(total["acks_received"] == 3 * kTicks.size());
  CHECK(total["errors"].empty());
  REQUIRE(report["devices"].size() == 1);
  CHECK(report["devices"][0]["sessions"] == 3);

  // B saw the ticks three times over, in order, from three connections of the device.
  const auto events = uplink_events(b, id, 3 * kTicks.size());
  REQUIRE(events.size() == 3 * kTicks.size());
  for (std::size_t i = 0; i < events.size(); ++i)
    CHECK(events[i]["payload"] == kTicks[i % kTicks.size()]);
  auto connects = b.http.request("GET", "/v1/events?type=connect&after=0&wait=0s&limit=100");
  REQUIRE(connects.status == 200);
  const Json connect_events = connects.json()["events"];
  CHECK(std::count_if(connect_events.begin(), connect_events.end(),
                      [&](const Json& e) { return e["device"] == id; }) == 3);
}

TEST_CASE("24.4 replay: --speed scales the captured gaps, --top-speed ignores them") {
  test::TempDir dir;
  Harness a({"--set", "record.enabled=true", "--set", "record.directory=" + dir.path().string()});
  const std::string id = "replay-pace-1";
  const std::int64_t span = publish_ticks(a, id);
  INFO("captured span between the ticks: " << span << " ms");
  REQUIRE(span >= kGapMs * 8 / 10);  // else the capture does not hold the gap it is about
  const auto files = recorded_files(dir);
  REQUIRE_FALSE(files.empty());

  // One target for the three runs: each adds its two ticks to B's events, the gap is the last.
  Harness b;
  struct Paced {
    std::int64_t gap_ms;  // between the ticks, as B saw them
    double run_ms;        // the whole replay, as its report says
  };
  auto replay = [&](const std::vector<std::string>& pace, std::size_t runs_so_far) {
    const KiteRun run = replay_against(b, files, pace);
    const Json report = parse_report(run);
    CHECK(report["total"]["uplink_sent"] == kTicks.size());
    const auto events = uplink_events(b, id, runs_so_far * kTicks.size());
    REQUIRE(events.size() == runs_so_far * kTicks.size());
    return Paced{last_gap_ms(events), report["seconds"].get<double>() * 1000};
  };
  // Bounds are generous (a loaded machine only delays), yet each fails if the flag is ignored:
  // at the captured pace the gap is about `span`, at top speed about 0.
  const Paced twice = replay({"--speed", "2"}, 1);
  INFO("--speed 2: gap " << twice.gap_ms << " ms, run " << twice.run_ms << " ms");
  CHECK(twice.gap_ms <= span * 3 / 4);
  CHECK(twice.gap_ms >= span / 4);

  const Paced half = replay({"--speed", "0.5"}, 2);
  INFO("--speed 0.5: gap " << half.gap_ms << " ms, run " << half.run_ms << " ms");
  CHECK(half.gap_ms >= span * 3 / 2);
  CHECK(half.gap_ms <= span * 4);
  CHECK(half.run_ms >= static_cast<double>(span) * 1.5);  // the whole run waited for the gap too

  const Paced top = replay({"--top-speed"}, 3);
  INFO("--top-speed: gap " << top.gap_ms << " ms, run " << top.run_ms << " ms");
  CHECK(top.gap_ms <= span / 4);
  CHECK(top.run_ms < static_cast<double>(span));
}

}  // namespace kite::it
