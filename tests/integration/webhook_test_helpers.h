// Helpers of the webhook tests (34.*, 41.*): a config with one webhook to the test's receiver,
// devices publishing acknowledged uplinks, and what the receiver got, per device, in order of
// first appearance (kited delivers at least once: repeats are allowed, losses are not).
#pragma once

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "test_pki.h"
#include "webhook_receiver.h"

namespace kite::it {

inline constexpr const char* kSecret = "whsec-integration-0123456789";
inline constexpr int kDevices = 4;
inline constexpr int kLongWait = 30'000;  // ms: delivery through back-off and a restart

// A config file with one webhook to `url`; `extra` are more of its keys.
inline std::string write_config(const test::TempDir& dir, const std::string& url,
                                const std::string& extra = {}) {
  const auto path = dir.path() / "kited.toml";
  std::ofstream(path) << "[[webhooks]]\nname = \"it\"\nurl = \"" << url << "\"\nsecret = \""
                      << kSecret
                      << "\"\ntypes = [\"uplink\"]\nbatch_max_events = 10\ntimeout_ms = 500\n"
                         "retry_base_ms = 20\nretry_max_ms = 200\n"
                      // Never dead-letter, unless the test says otherwise.
                      << (extra.find("max_attempts") == std::string::npos
                              ? "max_attempts = 1000000\n"
                              : "")
                      << extra;
  return path.string();
}

inline void publish_acked(TestDevice& device, int from, int to) {
  for (int i = from; i <= to; ++i)
    REQUIRE(device.publish("u-" + std::to_string(i)) == protocol::SendStatus::Sent);
  const auto through = static_cast<std::uint64_t>(to);
  device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= through; });
  REQUIRE(device.uplink_acked_through() >= through);
}

// Publishes uplinks from..to on fresh connections of every device (kited may have restarted).
inline void publish_round(Harness& h, int from, int to) {
  for (int d = 0; d < kDevices; ++d) {
    TestDevice device(h.device_options(numbered("hook-dev", d)));
    device.connect_and_open(kWait, true);
    publish_acked(device, from, to);
  }
}

template <typename Predicate>
bool wait_for(Predicate predicate, int ms) {
  const Millis deadline = now_ms() + ms;
  while (!predicate() && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace
  return predicate();
}

// Per device, the uplink numbers in order of first appearance.
inline std::map<std::string, std::vector<int>> first_appearances(const WebhookReceiver& receiver) {
  std::map<std::string, std::vector<int>> out;
  std::set<std::string> seen;
  for (const auto& event : receiver.events()) {
    REQUIRE(event.contains("id"));
    if (!seen.insert(event["id"].get<std::string>()).second) continue;  // a repeat: at least once
    REQUIRE(event["type"] == "uplink");
    out[event["device"].get<std::string>()].push_back(
        std::stoi(event["payload"].get<std::string>().substr(2)));
  }
  return out;
}

inline std::size_t unique_count(const WebhookReceiver& receiver) {
  std::size_t total = 0;
  for (const auto& [device, numbers] : first_appearances(receiver)) total += numbers.size();
  return total;
}

inline void check_all_in_order(const WebhookReceiver& receiver, int per_device) {
  const auto received = first_appearances(receiver);
  REQUIRE(received.size() == static_cast<std::size_t>(kDevices));
  std::vector<int> expected;
  for (int i = 1; i <= per_device; ++i) expected.push_back(i);
  for (const auto& entry : received) {
    INFO("device " << entry.first);
    CHECK(entry.second == expected);
  }
}

}  // namespace kite::it
