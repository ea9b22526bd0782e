// `kite replay` against a real kited: a device's conversation with kited A is captured (by
// tcpdump, then by kited's own recording), and replayed against a fresh kited B. B must see
// the same uplink messages (GET /v1/events), and the report's counts must match the capture.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
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
  const auto files = wait_closed_in(
      [&] {
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
          found.push_back(entry.path().string());
        return found;
      },
      7000);  // a recording names its server side: --port does not matter
  REQUIRE_FALSE(files.empty());
  check_replay(id, 7000, files);
}

}  // namespace kite::it
