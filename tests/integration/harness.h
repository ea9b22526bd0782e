// What every integration test file shares: a kited, its admin API and devices on it, with
// short names. Timeouts here are deadlines for polling, never sleeps.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "kited_process.h"
#include "raw_socket.h"
#include "test_device.h"

namespace kite::it {

inline constexpr int kWait = 5'000;  // ms: the longest a test waits for something that must happen

// A kited with an admin client and a device factory.
struct Harness {
  explicit Harness(std::vector<std::string> extra = {})
      : kited(std::move(extra)), http(kited.admin_port(), kAdminToken) {}
  // Listens for devices on `device_port` (one a proxy already forwards to).
  Harness(std::vector<std::string> extra, std::uint16_t device_port)
      : kited(std::move(extra), device_port), http(kited.admin_port(), kAdminToken) {}

  // After kited.restart() the ports change.
  void reattach() { http = HttpClient(kited.admin_port(), kAdminToken); }

  DeviceOptions device_options(const std::string& id) const {
    DeviceOptions options;
    options.id = id;
    options.port = kited.device_port();
    return options;
  }

  // Sends a QoS 1 message and checks that kited accepted it (202, queued).
  nlohmann::json send_ok(const std::string& device, const std::string& payload,
                         const nlohmann::json& extra = nlohmann::json::object()) {
    auto response = http.send(device, payload, 1, extra);
    INFO("POST answer: " << response.status << " " << response.body);
    REQUIRE(response.status == 202);
    auto body = response.json();
    REQUIRE(body.is_object());
    return body;
  }

  // Polls GET /v1/devices/{id} until `predicate(body)` holds or kWait passes, driving the
  // `connected` devices meanwhile (their delayed acks and pings must go out).
  template <typename Predicate>
  nlohmann::json wait_device(const std::string& device, Predicate predicate,
                             std::vector<TestDevice*> connected = {}) {
    Millis deadline = now_ms() + kWait;
    nlohmann::json body = http.device(device);
    while (!predicate(body) && now_ms() < deadline) {
      pump_devices(connected, 5, [] { return false; });  // a 5 ms polling pace
      body = http.device(device);
    }
    return body;
  }

  // Polls GET /v1/events?{query}&after=0&wait=0s until it gives at least `count` events or kWait
  // passes: connects, disconnects and receipts are shown once written, up to
  // store.write_behind_ms later (docs/server.md, "Write-behind").
  nlohmann::json wait_events(const std::string& query, std::size_t count) const {
    const std::string path = "/v1/events?" + query + (query.empty() ? "" : "&") + "after=0&wait=0s";
    Millis deadline = now_ms() + kWait;
    nlohmann::json body = http.request("GET", path).json();
    while (!(body["events"].is_array() && body["events"].size() >= count) && now_ms() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      body = http.request("GET", path).json();
    }
    return body;
  }

  KitedProcess kited;
  HttpClient http;
};

// The value of one sample of /metrics ("name" or "name{labels}" exactly as exposed); fails the
// test when kited does not expose it.
inline double metric(const Harness& h, const std::string& series) {
  auto response = h.http.request("GET", "/metrics");
  REQUIRE(response.status == 200);
  auto at = response.body.find("\n" + series + " ");
  INFO("series " << series << " in:\n" << response.body);
  REQUIRE(at != std::string::npos);
  return std::stod(response.body.substr(at + series.size() + 2));
}

// Waits until kited logged a line holding `text`: log lines go through a writer thread, so one
// may reach the file a little after what caused it.
inline bool wait_log(const KitedProcess& kited, const std::string& text) {
  const Millis deadline = now_ms() + kWait;
  while (kited.log().find(text) == std::string::npos && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace
  return kited.log().find(text) != std::string::npos;
}

inline std::string numbered(const std::string& prefix, int i) {
  return prefix + "-" + std::to_string(i);
}

// POSTs a command for `device_id` through `api`, pumping `device` (which answers commands) until
// the call is answered or 2 * kWait passes.
inline HttpResponse command_answered(HttpClient& api, TestDevice& device,
                                     const std::string& device_id, const nlohmann::json& body) {
  auto answer = std::async(std::launch::async, [&] {
    return api.request("POST", "/v1/devices/" + device_id + "/commands", body.dump());
  });
  const Millis deadline = now_ms() + 2 * kWait;
  while (answer.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready &&
         now_ms() < deadline)
    device.pump_until(now_ms() + 5, [] { return false; });
  return answer.get();
}

// Waits until `node` says `group` has `size` members (within kWait); whether it does.
inline bool wait_group_size(Harness& node, const std::string& group, int size) {
  auto size_now = [&] {
    auto answer = node.http.request("GET", "/v1/groups/" + group, "");
    return answer.status == 200 ? answer.json()["size"].get<int>() : 0;
  };
  const Millis deadline = now_ms() + kWait;
  while (size_now() != size && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace
  return size_now() == size;
}

// The uplink payloads kited's event log holds for one device, in order (at most 10,000).
inline std::vector<std::string> recorded_uplinks(Harness& h, const std::string& device) {
  auto body =
      h.http.request("GET", "/v1/events?type=uplink&wait=0s&limit=10000&after=0&device=" + device)
          .json();
  std::vector<std::string> payloads;
  for (const auto& event : body["events"]) payloads.push_back(event["payload"]);
  return payloads;
}

}  // namespace kite::it
