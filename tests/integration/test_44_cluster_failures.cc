// A cluster losing a node under load: three kited nodes on one Redis behind a real HAProxy, a
// thousand real SDK devices (sdk_fleet.h) on the node that is killed with -9 while messages
// keep coming through another node's API. The devices come back through HAProxy on the other
// nodes and resume from Redis: every message answered as queued reaches its device's app once,
// in the order sent.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "haproxy_process.h"
#include "harness.h"
#include "redis_process.h"
#include "sdk_fleet.h"

namespace kite::it {
namespace {

constexpr int kDevices = 1'000;
constexpr int kPerTick = 20;    // devices sent to per tick, one message each
constexpr Millis kTickMs = 20;  // so 1,000 messages a second
constexpr Millis kLoadBeforeMs = 2'000;

// A node behind HAProxy: PROXY v2 headers from HAProxy's address only. All the devices come
// from one address here (loopback) where a fleet comes from many: the cap on connections not yet
// authenticated per address is raised so that a thousand reconnecting at once are not refused.
std::vector<std::string> node_flags(const RedisProcess& redis) {
  std::vector<std::string> flags = redis.kited_flags();
  for (std::string setting :
       {std::string("device.proxy_protocol=v2"),
        std::string("device.proxy_from=") + HaproxyProcess::kSource,
        std::string("auth.max_unauthenticated_per_ip=") + std::to_string(2 * kDevices)}) {
    flags.push_back("--set");
    flags.push_back(setting);
  }
  return flags;
}

// One tick of the load: a message to each of kPerTick devices in turn, in one call through
// `api`; what it answered as queued is appended to `accepted` per device.
void send_tick(HttpClient& api, int tick, std::map<std::string, std::vector<std::string>>& accepted,
               int& refused) {
  nlohmann::json body{{"devices", nlohmann::json::array()}, {"payload", numbered("t", tick)}};
  for (int j = 0; j < kPerTick; ++j)
    body["devices"].push_back(numbered("fleet", (tick * kPerTick + j) % kDevices));
  const HttpResponse response = api.request("POST", "/v1/messages", body.dump());
  if (response.status != 200) {
    refused += kPerTick;
    return;
  }
  const nlohmann::json answer = response.json();  // kept: the loop below refers into it
  for (const auto& result : answer["results"]) {
    if (result["status"] == "queued")
      accepted[result["device"].get<std::string>()].push_back(numbered("t", tick));
    else
      ++refused;
  }
}

// Waits until every device's app has as many messages as were accepted for it, then checks that
// they are exactly those, in order, with every session after the first resumed. Returns the
// messages accepted in all and the devices with a difference (the first five are reported).
std::pair<std::size_t, std::size_t> check_delivered(
    SdkFleet& fleet, const std::vector<std::string>& ids,
    std::map<std::string, std::vector<std::string>>& accepted) {
  auto delivered = [&](const std::vector<SdkFleet::Device>& devices) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto it = accepted.find(ids[i]);
      const std::size_t expected = it == accepted.end() ? 0 : it->second.size();
      if (devices[i].messages.size() < expected) return false;
    }
    return true;
  };
  CHECK(fleet.wait(delivered, 2 * kWait));
  const auto devices = fleet.snapshot();
  std::size_t total = 0, wrong = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& want = accepted[ids[i]];
    total += want.size();
    if (devices[i].messages == want && !devices[i].lost_history) continue;
    if (++wrong > 5) continue;
    INFO(ids[i] << " got " << devices[i].messages.size() << " messages, expected " << want.size());
    CHECK(devices[i].messages == want);
    CHECK_FALSE(devices[i].lost_history);
  }
  return {total, wrong};
}

}  // namespace

TEST_CASE(
    "44.1 cluster: kill -9 of the node holding 1,000 devices under load: each queued "
    "message reaches its device once, in order") {
  RedisProcess redis;
  // B and C listen on ports HAProxy knows from the start, and start once the devices are on A.
  const std::uint16_t port_b = free_port(), port_c = free_port();
  auto a = std::make_unique<Harness>(node_flags(redis));
  HaproxyProcess haproxy({{.nodes = {a->kited.device_port(), port_b, port_c}}});
  std::vector<std::string> ids;
  for (int i = 0; i < kDevices; ++i) ids.push_back(numbered("fleet", i));
  SdkFleet fleet(ids, haproxy.port(0));
  auto all_connected = [](const std::vector<SdkFleet::Device>& devices) {
    for (const auto& device : devices)
      if (!device.connected) return false;
    return true;
  };
  REQUIRE(fleet.wait(all_connected, 4 * kWait));
  REQUIRE(metric(*a, "kite_devices_online") == kDevices);
  Harness b(node_flags(redis), port_b), c(node_flags(redis), port_c);

  std::map<std::string, std::vector<std::string>> accepted;
  int refused = 0, tick = 0;
  Millis next = now_ms();
  auto send_until = [&](Millis until) {
    for (; now_ms() < until; ++tick) {
      send_tick(c.http, tick, accepted, refused);
      next += kTickMs;
      if (next > now_ms()) std::this_thread::sleep_for(std::chrono::milliseconds(next - now_ms()));
    }
  };
  send_until(now_ms() + kLoadBeforeMs);
  // A device is back when it opened a session after the kill: counted in sessions, since a
  // reconnect can land in the same millisecond as the kill.
  std::vector<int> sessions_before;
  for (const auto& device : fleet.snapshot()) sessions_before.push_back(device.connects);
  a->kited.kill9();
  const Millis killed_at = now_ms();
  auto reconnected = [&](std::size_t i, const SdkFleet::Device& device) {
    return device.connects > sessions_before[i];
  };
  // The load goes on until every device has a session again (or the wait gives up), and 1 s more.
  Millis resumed_at = 0;
  while (resumed_at == 0 && now_ms() < killed_at + 12 * kWait) {
    send_until(now_ms() + 200);
    const auto devices = fleet.snapshot();
    bool all_back = true;
    for (std::size_t i = 0; i < devices.size(); ++i)
      all_back = all_back && devices[i].connected && reconnected(i, devices[i]);
    if (all_back)  // the last device's new session
      for (const auto& device : devices) resumed_at = std::max(resumed_at, device.connected_at);
  }
  if (resumed_at == 0) {  // which devices are missing, and what their SDK last said
    int missing = 0, stale = 0;
    const auto devices = fleet.snapshot();
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto& device = devices[i];
      if (!device.connected && ++missing <= 5)
        MESSAGE("a device is " << describe(device.state) << " (" << device.reason << ") after "
                               << device.connects << " sessions");
      // Still in the session it had before the kill: it never saw its connection go.
      if (device.connected && !reconnected(i, device) && ++stale <= 5)
        MESSAGE("a device still has the session it opened " << killed_at - device.connected_at
                                                            << " ms before the kill, after "
                                                            << device.connects << " sessions");
    }
    MESSAGE(missing << " devices not connected, " << stale << " still in a session from before");
  }
  REQUIRE_MESSAGE(resumed_at != 0, "not every device came back within 60 s of the kill");
  MESSAGE("kill -9 of the node holding " << kDevices << " devices: all resumed on the other "
                                         << "nodes " << resumed_at - killed_at << " ms after");
  send_until(now_ms() + 1'000);
  CHECK(refused == 0);
  CHECK(metric(b, "kite_devices_online") + metric(c, "kite_devices_online") == kDevices);
  CHECK(metric(b, "kite_devices_online") > 0);
  CHECK(metric(c, "kite_devices_online") > 0);

  // Everything queued arrives, once and in order: the app's list equals what was accepted.
  const auto [total, wrong] = check_delivered(fleet, ids, accepted);
  CHECK(wrong == 0);
  CHECK(total > static_cast<std::size_t>(kPerTick) * 100);  // the load did run
  MESSAGE(total << " messages queued through node C, " << wrong << " devices with a difference");
}

}  // namespace kite::it
