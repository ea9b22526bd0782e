// Consumer groups (GET /v1/events?consumer_group=&member=): members share the events of 1,000
// devices, each handled once, a device's events in order at one member; a member that dies
// mid-stream loses nothing (what it held goes to the others); the group's place survives kill -9.
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <tuple>

#include "event_group_client.h"
#include "sse_client.h"

namespace kite::it {
namespace {

std::uint64_t group_lag(HttpClient& http) {
  return group_lag_of(http, "workers");
}

// `count` members share the log; the last one dies after two polls when `kill_one`.
void share(std::size_t count, bool kill_one) {
  Harness h(group_ready());
  make_traffic(h);
  const auto truth = all_events(h.http);
  REQUIRE(truth.size() > 3000);
  std::vector<Member> members(count);
  for (std::size_t i = 0; i < count; ++i) members[i].name = "m" + std::to_string(i + 1);
  const Millis deadline = now_ms() + 4 * kWait;
  for (int round = 0; now_ms() < deadline; ++round) {
    for (std::size_t i = 0; i < count; ++i)
      if (!(kill_one && i + 1 == count && round >= 2)) poll(h.http, members[i]);
    if (round > 2 && group_lag(h.http) == 0) break;
  }
  CHECK(group_lag(h.http) == 0);
  check_handled_once(truth, members);
  auto groups = h.http.request("GET", "/v1/event-groups").json();
  INFO(groups.dump());
  CHECK(groups["groups"][0]["oldest_pending"].is_null());
  CHECK(groups["groups"][0]["members"].size() == (kill_one ? count - 1 : count));
}

}  // namespace

TEST_CASE("33.1 consumer groups: two members share 1,000 devices' events, each once, in order") {
  share(2, false);
}

TEST_CASE("33.2 consumer groups: three members, one killed mid-stream: nothing lost") {
  share(3, true);
}

TEST_CASE("33.3 consumer groups: the group's place survives kill -9; bad requests are refused") {
  Harness h(group_ready());
  TestDevice device(h.device_options("meter-1"));
  device.connect_and_open();
  for (int i = 1; i <= 10; ++i)
    REQUIRE(device.publish("r" + std::to_string(i)) == protocol::SendStatus::Sent);
  device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= 10; });
  const std::string first =
      "/v1/events?consumer_group=g&member=a&type=uplink&after=0&wait=0s&limit=4";
  auto page = h.http.request("GET", first).json()["events"];
  REQUIRE(page.size() == 4);
  auto ack =
      h.http.request("POST", "/v1/event-groups/g/ack",
                     R"({"member":"a","through":")" + page[3]["id"].get<std::string>() + R"("})");
  CHECK(ack.status == 200);
  // Saved on the hub's next tick (250 ms); wait for one, then crash.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  h.kited.kill9();
  h.kited.restart();
  h.reattach();
  auto rest = h.http.request("GET", "/v1/events?consumer_group=g&member=b&type=uplink&wait=0s")
                  .json()["events"];
  REQUIRE(rest.size() == 6);
  CHECK(rest[0]["payload"] == "r5");

  CHECK(h.http.request("GET", "/v1/events?member=a&wait=0s").status == 400);
  CHECK(h.http.request("GET", "/v1/events?consumer_group=g&wait=0s").status == 400);
  CHECK(h.http.request("GET", "/v1/events?consumer_group=g%2F&member=a&wait=0s").status == 400);
  CHECK(h.http.request("POST", "/v1/event-groups/g/ack", R"({"member":"a"})").status == 400);
  CHECK(h.http.request("POST", "/v1/event-groups/nope/ack", R"({"member":"a","through":"1"})")
            .status == 404);
  for (int i = 0; i < 63; ++i)  // "g" is the first of the 64 a server keeps
    REQUIRE(
        h.http
            .request("GET", "/v1/events?consumer_group=c" + std::to_string(i) + "&member=a&wait=0s")
            .status == 200);
  auto full = h.http.request("GET", "/v1/events?consumer_group=one-too-many&member=a&wait=0s");
  CHECK(full.status == 429);
  CHECK(full.json()["title"] == "Consumer groups full");
}

TEST_CASE("33.4 consumer groups: stream members split a device set and acknowledge by POST") {
  Harness h(group_ready());
  const std::string path = "/v1/events?consumer_group=s&type=uplink&member=";
  SseClient first(h.kited.admin_port(), kAdminToken, path + "x");
  REQUIRE(first.status() == 200);
  SseClient second(h.kited.admin_port(), kAdminToken, path + "y");
  REQUIRE(second.status() == 200);
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (int d = 0; d < 8; ++d) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options("dev-" + std::to_string(d))));
    devices.back()->connect_and_open();
    for (int i = 1; i <= 5; ++i)
      REQUIRE(devices.back()->publish(std::to_string(i)) == protocol::SendStatus::Sent);
    devices.back()->pump_until(now_ms() + kWait,
                               [&] { return devices.back()->uplink_acked_through() >= 5; });
  }
  // 40 uplinks: each to one stream, every device's five in order at one of them.
  std::map<std::string, std::vector<std::string>> by_device;
  std::map<std::string, std::set<std::string>> readers_of;
  std::string last_x, last_y;
  const Millis deadline = now_ms() + kWait;
  std::size_t total = 0;
  while (total < 40 && now_ms() < deadline) {
    const std::tuple<SseClient*, const char*, std::string*> streams[] = {{&first, "x", &last_x},
                                                                         {&second, "y", &last_y}};
    for (const auto& [stream, name, last] : streams) {
      if (auto event = stream->next(20)) {
        auto body = event->json();
        by_device[body["device"]].push_back(body["payload"]);
        readers_of[body["device"]].insert(name);
        *last = event->id;
        ++total;
      }
    }
  }
  REQUIRE(total == 40);
  CHECK(!last_x.empty());  // both members got some (dev-0..7 fall in both halves of the 64)
  CHECK(!last_y.empty());
  for (const auto& entry : by_device) {  // not a structured binding: clang 14's CAPTURE
    const std::string& device = entry.first;
    const std::vector<std::string>& payloads = entry.second;
    CAPTURE(device);
    CHECK(payloads == std::vector<std::string>{"1", "2", "3", "4", "5"});
    CHECK(readers_of[device].size() == 1);
  }
  CHECK(!first.next(200));  // nothing twice
  CHECK(!second.next(200));
  for (auto [member, last] : {std::pair{"x", last_x}, std::pair{"y", last_y}}) {
    if (last.empty()) continue;
    auto ack = h.http.request(
        "POST", "/v1/event-groups/s/ack",
        std::string(R"({"member":")") + member + R"(","through":")" + last + R"("})");
    CHECK(ack.status == 200);
  }
  CHECK(group_lag_of(h.http, "s") == 0);
}

}  // namespace kite::it
