// GET /v1/events: uplink messages, connects, disconnects and delivery receipts as Server-Sent
// Events, resumed with Last-Event-ID without losing an event held, and the same as a long-poll.
#include <set>
#include <thread>

#include "harness.h"
#include "sse_client.h"

namespace kite::it {
namespace {

// The next `count` events of `stream` (fails the test if they do not come in time).
std::vector<SseEvent> take_events(SseClient& stream, std::size_t count,
                                  std::vector<TestDevice*> pump = {}) {
  std::vector<SseEvent> events;
  const Millis deadline = now_ms() + kWait;
  while (events.size() < count && now_ms() < deadline) {
    if (!pump.empty()) pump_devices(pump, 5, [] { return false; });
    if (auto event = stream.next(pump.empty() ? 200 : 20)) events.push_back(std::move(*event));
  }
  INFO("events received: " << events.size() << " of " << count);
  REQUIRE(events.size() == count);
  return events;
}

void publish_numbered(TestDevice& device, int first, int last) {
  for (int i = first; i <= last; ++i)
    REQUIRE(device.publish("reading-" + std::to_string(i)) == protocol::SendStatus::Sent);
  device.pump_until(now_ms() + kWait, [&] {
    return device.uplink_acked_through() >= static_cast<std::uint64_t>(last);
  });
}

}  // namespace

TEST_CASE("12.1 events: connect, uplink, receipt and disconnect, in order, with their fields") {
  Harness h;
  SseClient stream(h.kited.admin_port(), kAdminToken, "/v1/events");
  REQUIRE(stream.status() == 200);
  CHECK(stream.head().find("text/event-stream") != std::string::npos);

  TestDevice device(h.device_options("meter-7"));
  device.connect_and_open();
  auto connected = take_events(stream, 1);
  CHECK(connected[0].type == "connect");
  auto connect = connected[0].json();
  CHECK(connect["device"] == "meter-7");
  CHECK(connect["ip"] == "127.0.0.1");
  CHECK(connect["resumed"] == false);
  CHECK(connect["id"] == connected[0].id);

  REQUIRE(device.publish("{\"kwh\":12.5}") == protocol::SendStatus::Sent);
  auto uplink = take_events(stream, 1, {&device})[0];
  CHECK(uplink.type == "uplink");
  CHECK(uplink.json()["payload"] == "{\"kwh\":12.5}");
  CHECK(uplink.json()["qos"] == 1);
  CHECK(uplink.json()["seq"] == 1);

  auto sent = h.send_ok("meter-7", "tariff=night");
  auto receipt = take_events(stream, 1, {&device})[0];
  CHECK(receipt.type == "receipt");
  CHECK(receipt.json()["device"] == "meter-7");
  CHECK(receipt.json()["message_id"] == sent["id"]);
  CHECK(receipt.json()["seq"] == sent["seq"]);

  device.close();
  auto gone = take_events(stream, 1)[0];
  CHECK(gone.type == "disconnect");
  CHECK(gone.json()["reason"] == "NormalClose");
  CHECK(gone.json()["by_peer"] == true);

  const std::vector<std::string> ids{connected[0].id, uplink.id, receipt.id, gone.id};
  for (std::size_t i = 1; i < ids.size(); ++i) CHECK(std::stoull(ids[i]) > std::stoull(ids[i - 1]));
  auto metrics = h.http.request("GET", "/metrics").body;
  CHECK(metrics.find("\nkite_events_recorded_total 4\n") != std::string::npos);
  CHECK(metrics.find("\nkite_events_held 4\n") != std::string::npos);
}

TEST_CASE("12.2 events: a stream resumed with Last-Event-ID loses and repeats nothing") {
  Harness h;
  TestDevice device(h.device_options("sensor-1"));
  device.connect_and_open();
  std::string last_seen;
  {
    SseClient stream(h.kited.admin_port(), kAdminToken, "/v1/events?type=uplink");
    REQUIRE(stream.status() == 200);
    publish_numbered(device, 1, 50);
    auto first = take_events(stream, 20);
    for (int i = 0; i < 20; ++i)
      CHECK(first[i].json()["payload"] == "reading-" + std::to_string(i + 1));
    last_seen = first.back().id;
  }                                  // the reader goes away mid-stream
  publish_numbered(device, 51, 80);  // while nobody listens

  SseClient resumed(h.kited.admin_port(), kAdminToken, "/v1/events?type=uplink", last_seen);
  REQUIRE(resumed.status() == 200);
  auto rest = take_events(resumed, 60);
  std::set<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    CHECK(rest[i].type == "uplink");
    CHECK(rest[i].json()["payload"] == "reading-" + std::to_string(i + 21));
    ids.insert(rest[i].id);
  }
  CHECK(ids.size() == 60);
  CHECK(!resumed.next(300));  // nothing more, nothing twice

  // The same through long-polls: "after" the id, then after each answer's last_id.
  auto poll = h.http.request("GET", "/v1/events?type=uplink&wait=0s&limit=25&after=" + last_seen);
  REQUIRE(poll.status == 200);
  auto body = poll.json();
  REQUIRE(body["events"].size() == 25);
  CHECK(body["events"][0]["payload"] == "reading-21");
  CHECK(body["events"][0]["type"] == "uplink");
  auto next = h.http
                  .request("GET", "/v1/events?type=uplink&wait=0s&limit=100&after=" +
                                      body["last_id"].get<std::string>())
                  .json();
  REQUIRE(next["events"].size() == 35);
  CHECK(next["events"][0]["payload"] == "reading-46");
  CHECK(next["events"][34]["payload"] == "reading-80");
  CHECK(!next.contains("gap"));
}

TEST_CASE("12.3 events: a long-poll waits for the next event, or answers empty at its deadline") {
  Harness h;
  TestDevice device(h.device_options("valve-2"));
  device.connect_and_open();
  const Millis start = now_ms();
  auto empty = h.http.request("GET", "/v1/events?wait=400ms&type=uplink");
  CHECK(now_ms() - start >= 350);
  REQUIRE(empty.status == 200);
  CHECK(empty.json()["events"].empty());
  const std::string cursor = empty.json()["last_id"];

  std::thread publisher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    device.publish("opened");
    device.pump_until(now_ms() + 2'000, [&] { return device.uplink_acked_through() >= 1; });
  });
  const Millis asked = now_ms();
  auto answer = h.http.request("GET", "/v1/events?wait=20s&type=uplink&after=" + cursor);
  publisher.join();
  CHECK(now_ms() - asked < 10'000);  // answered by the event, not the deadline
  REQUIRE(answer.status == 200);
  REQUIRE(answer.json()["events"].size() == 1);
  CHECK(answer.json()["events"][0]["payload"] == "opened");
}

TEST_CASE("12.4 events: filters by device, group and type") {
  Harness h;
  REQUIRE(h.http.request("PUT", "/v1/groups/floor-3/members/lamp-1").status == 201);
  SseClient by_group(h.kited.admin_port(), kAdminToken, "/v1/events?group=floor-3&type=uplink");
  SseClient by_device(h.kited.admin_port(), kAdminToken, "/v1/events?device=lamp-2,lamp-9");
  REQUIRE(by_group.status() == 200);
  REQUIRE(by_device.status() == 200);
  TestDevice lamp1(h.device_options("lamp-1")), lamp2(h.device_options("lamp-2"));
  lamp1.connect_and_open();
  lamp2.connect_and_open();
  publish_numbered(lamp1, 1, 1);
  publish_numbered(lamp2, 1, 1);
  auto group_events = take_events(by_group, 1);
  CHECK(group_events[0].json()["device"] == "lamp-1");
  CHECK(group_events[0].type == "uplink");
  CHECK(!by_group.next(300));  // lamp-2 is not in floor-3; connects are not asked for
  auto device_events = take_events(by_device, 2);
  CHECK(device_events[0].type == "connect");
  CHECK(device_events[1].type == "uplink");
  for (const auto& event : device_events) CHECK(event.json()["device"] == "lamp-2");
  CHECK(!by_device.next(300));
}

TEST_CASE("12.5 events: beyond the retention a reader is told what it missed") {
  Harness h({"--set", "events.retention_events=10"});
  SseClient live(h.kited.admin_port(), kAdminToken, "/v1/events?type=uplink");
  REQUIRE(live.status() == 200);
  TestDevice device(h.device_options("probe-1"));
  device.connect_and_open();
  publish_numbered(device, 1, 1);
  const std::string early = take_events(live, 1)[0].id;
  publish_numbered(device, 2, 30);  // 29 more uplinks (and nothing else): 10 are held

  SseClient late(h.kited.admin_port(), kAdminToken, "/v1/events?type=uplink", early);
  REQUIRE(late.status() == 200);
  auto gap = late.next(kWait);
  REQUIRE(gap);
  CHECK(gap->type == "gap");
  CHECK(gap->id.empty());
  CHECK(std::stoull(gap->json()["missed_first"].get<std::string>()) == std::stoull(early) + 1);
  auto held = take_events(late, 10);
  CHECK(held.front().json()["payload"] == "reading-21");
  CHECK(held.back().json()["payload"] == "reading-30");
  CHECK(std::stoull(gap->json()["missed_last"].get<std::string>()) + 1 == std::stoull(held[0].id));

  auto everything = h.http.request("GET", "/v1/events?wait=0s&after=0").json();
  CHECK(everything["events"].size() == 10);
  CHECK(!everything.contains("gap"));
  auto stale = h.http.request("GET", "/v1/events?wait=0s&after=" + early).json();
  CHECK(stale["gap"]["type"] == "gap");
  CHECK(stale["events"].size() == 10);
}

TEST_CASE("12.6 events: bad queries, a missing token and a server with events off") {
  Harness h;
  for (const char* bad :
       {"/v1/events?type=bogus", "/v1/events?after=abc", "/v1/events?wait=10h",
        "/v1/events?wait=301s", "/v1/events?wait=1&limit=0", "/v1/events?limit=10001",
        "/v1/events?device=%01", "/v1/events?group=a%2Fb"}) {
    CAPTURE(bad);
    auto response = h.http.request("GET", bad);
    CHECK(response.status == 400);
    CHECK(response.json()["title"] == "Invalid event query");
  }
  auto header = h.http.request("GET", "/v1/events?wait=0s", "", true, "Last-Event-ID: x1\r\n");
  CHECK(header.status == 400);
  CHECK(h.http.request("GET", "/v1/events?wait=0s", "", false).status == 401);
  SseClient no_token(h.kited.admin_port(), "wrong-token-0123456789", "/v1/events");
  CHECK(no_token.status() == 401);

  Harness off({"--set", "events.retention_events=0"});
  auto response = off.http.request("GET", "/v1/events?wait=0s");
  CHECK(response.status == 404);
  CHECK(response.json()["title"] == "Event stream off");
}

}  // namespace kite::it
