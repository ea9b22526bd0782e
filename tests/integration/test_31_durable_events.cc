// The event log survives kited: uplinks acknowledged to devices and lifecycle events nobody has
// read are there after kill -9 and a restart, once each, in order per device, and a reader's
// Last-Event-ID from before the crash resumes exactly where it stopped.
#include <chrono>
#include <map>
#include <thread>

#include "harness.h"
#include "sse_client.h"

namespace kite::it {
namespace {

constexpr int kUplinksPerDevice = 40;

void publish_acked(TestDevice& device, const std::string& prefix, int count) {
  for (int i = 1; i <= count; ++i)
    REQUIRE(device.publish(prefix + std::to_string(i)) == protocol::SendStatus::Sent);
  device.pump_until(now_ms() + kWait, [&] {
    return device.uplink_acked_through() >= static_cast<std::uint64_t>(count);
  });
  REQUIRE(device.uplink_acked_through() == static_cast<std::uint64_t>(count));
}

// Every event held after `after`, read with long-polls of 100 (several pages).
std::vector<nlohmann::json> read_from(HttpClient& http, const std::string& after) {
  std::vector<nlohmann::json> events;
  std::string cursor = after;
  for (int page = 0; page < 50; ++page) {
    auto body = http.request("GET", "/v1/events?wait=0s&limit=100&after=" + cursor).json();
    INFO(body.dump());
    REQUIRE(!body.contains("gap"));
    for (auto& event : body["events"]) events.push_back(event);
    if (body["events"].empty()) break;
    cursor = body["last_id"].get<std::string>();
  }
  return events;
}

// A message to `first`, acknowledged (a receipt), and `second` closing (a disconnect); returns
// when the log shows both, with the send's answer.
nlohmann::json receipt_and_disconnect(Harness& h, TestDevice& first, TestDevice& second) {
  auto sent = h.send_ok("meter-a", "tariff=night");
  first.pump_until(now_ms() + kWait, [&] { return first.delivered_count() == 1; });
  REQUIRE(first.delivered_count() == 1);
  // The receipt is recorded once kited has the ack: wait until the log shows it.
  auto receipt_seen = [&] {
    auto body = h.http.request("GET", "/v1/events?wait=0s&type=receipt&after=0").json();
    return body["events"].size() == 1;
  };
  const Millis deadline = now_ms() + kWait;
  TestDevice* const pumped[] = {&first};
  while (!receipt_seen() && now_ms() < deadline) pump_devices(pumped, 5, [] { return false; });
  REQUIRE(receipt_seen());
  second.close();
  const auto disconnects = [&] {
    return h.http.request("GET", "/v1/events?wait=0s&type=disconnect&after=0").json()["events"];
  };
  const Millis close_deadline = now_ms() + kWait;
  while (disconnects().empty() && now_ms() < close_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(disconnects().size() == 1);

  return sent;
}

}  // namespace

TEST_CASE("31.1 events: kill -9 loses no unread uplink or lifecycle event; Last-Event-ID resumes") {
  Harness h;
  // A reader that saw the first connect, then went away.
  std::string last_seen;
  TestDevice first(h.device_options("meter-a"));
  {
    SseClient stream(h.kited.admin_port(), kAdminToken, "/v1/events");
    REQUIRE(stream.status() == 200);
    first.connect_and_open();
    auto connect = stream.next(kWait);
    REQUIRE(connect);
    REQUIRE(connect->type == "connect");
    last_seen = connect->id;
  }
  TestDevice second(h.device_options("meter-b"));
  second.connect_and_open();
  publish_acked(first, "a-", kUplinksPerDevice);
  publish_acked(second, "b-", kUplinksPerDevice);
  const auto sent = receipt_and_disconnect(h, first, second);

  h.kited.kill9();
  h.kited.restart();
  h.reattach();

  auto events = read_from(h.http, last_seen);
  std::map<std::string, std::vector<std::string>> uplinks;  // device -> payloads in order
  std::map<std::string, int> kinds;
  std::uint64_t previous = std::stoull(last_seen);
  for (const auto& event : events) {
    const std::uint64_t id = std::stoull(event["id"].get<std::string>());
    CHECK(id > previous);  // ids only grow, none repeated
    previous = id;
    ++kinds[event["type"].get<std::string>()];
    if (event["type"] == "uplink")
      uplinks[event["device"].get<std::string>()].push_back(event["payload"].get<std::string>());
    if (event["type"] == "receipt") CHECK(event["message_id"] == sent["id"]);
  }
  CHECK(kinds["connect"] == 1);  // meter-b's; meter-a's is the one the reader had seen
  CHECK(kinds["uplink"] == 2 * kUplinksPerDevice);
  CHECK(kinds["receipt"] == 1);
  CHECK(kinds["disconnect"] >= 1);  // meter-b's close (meter-a's end came with the kill)
  for (const char* device : {"meter-a", "meter-b"}) {
    CAPTURE(device);
    REQUIRE(uplinks[device].size() == kUplinksPerDevice);
    const std::string prefix = device == std::string("meter-a") ? "a-" : "b-";
    for (int i = 0; i < kUplinksPerDevice; ++i)
      CHECK(uplinks[device][i] == prefix + std::to_string(i + 1));
  }

  // The restarted server's new events come after the old ones, and a stream resumed with the
  // old Last-Event-ID gets the kept events, then the new ones.
  SseClient resumed(h.kited.admin_port(), kAdminToken, "/v1/events?type=connect", last_seen);
  REQUIRE(resumed.status() == 200);
  auto old_connect = resumed.next(kWait);
  REQUIRE(old_connect);
  CHECK(old_connect->json()["device"] == "meter-b");
  TestDevice again(h.device_options("meter-c"));
  again.connect_and_open();
  auto new_connect = resumed.next(kWait);
  REQUIRE(new_connect);
  CHECK(new_connect->json()["device"] == "meter-c");
  CHECK(std::stoull(new_connect->id) > previous);
}

TEST_CASE("31.2 events: with events.durable off the log is memory only, as documented") {
  Harness h({"--set", "events.durable=false"});
  TestDevice device(h.device_options("meter-x"));
  device.connect_and_open();
  publish_acked(device, "x-", 3);
  CHECK(read_from(h.http, "0").size() == 4);  // connect and three uplinks
  h.kited.kill9();
  h.kited.restart();
  h.reattach();
  CHECK(read_from(h.http, "0").empty());
}

}  // namespace kite::it
