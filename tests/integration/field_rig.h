// The rig of the field-fault tests (issue 22): kited on loopback, real SDK devices in a network
// namespace of their own (NetLab) reaching it across a veth link through a FaultProxy, and the
// traffic both ways that shows whether anything was lost or delivered twice: downlink (each
// device app's messages against what kited answered 202) and uplink (what each SDK confirmed
// against kited's event log, once per payload).
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy.h"
#include "harness.h"
#include "net_lab.h"
#include "sdk_fleet.h"

namespace kite::it {

inline constexpr std::uint32_t kKeepaliveMs = 2'000;  // devices ask for it; kited closes at 150 %
inline constexpr std::uint32_t kSilenceLimitMs = kKeepaliveMs * 3 / 2;

inline std::vector<std::string> numbered_ids(const std::string& prefix, int count) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) ids.push_back(prefix + "-" + std::to_string(i));
  return ids;
}

// kited on loopback, devices in a lab behind a proxy on the lab link's host end.
struct FieldRig {
  NetLab lab;
  Harness h;
  FaultProxy proxy{lab.host_address(), "127.0.0.1", h.kited.device_port()};
  std::vector<std::string> ids;
  SdkFleet fleet;

  FieldRig(const std::string& prefix, int devices, std::uint32_t backoff_max_ms = 2'000,
           std::uint32_t keepalive_ms = kKeepaliveMs)
      : ids(numbered_ids(prefix, devices)),
        fleet(ids, SdkFleet::Setup{.host = lab.host_address(),
                                   .port = proxy.port(),
                                   .on_thread = [this] { lab.enter(); },
                                   .adjust =
                                       [=](ClientOptions& options) {
                                         options.keepalive_ms = keepalive_ms;
                                         options.backoff_initial_ms = 200;
                                         options.lost_reconnect_spread_ms = 200;
                                         options.backoff_max_ms = backoff_max_ms;
                                       }}) {}

  bool all_connected(int timeout_ms) {
    return fleet.wait(
        [](const std::vector<SdkFleet::Device>& devices) {
          for (const auto& device : devices)
            if (!device.connected) return false;
          return true;
        },
        timeout_ms);
  }

  bool online(const std::string& device) const {
    const auto body = h.http.device(device);
    return body.is_object() && body.value("online", false);
  }
};

// Messages both ways, a tick at a time: each tick one downlink message to every device (through
// kited's HTTP API; only those answered 202 count) and one uplink from every device.
class Traffic {
 public:
  explicit Traffic(FieldRig& field) : rig(field) {}

  FieldRig& rig;
  std::map<std::string, std::vector<std::string>> accepted;   // downlink, per device
  std::map<std::size_t, std::vector<std::string>> published;  // uplink, per device index
  int refused = 0;
  int tick = 0;
  std::mt19937 random_{48};

  // `padding` more bytes in every message, letters that zstd cannot squeeze much.
  void send_tick(std::size_t padding = 0) {
    std::string pad;
    for (std::size_t k = 0; k < padding; ++k) pad += static_cast<char>('a' + random_() % 26);
    for (std::size_t i = 0; i < rig.ids.size(); ++i) {
      const std::string& id = rig.ids[i];
      const std::string down = "down-" + id + "-" + std::to_string(tick) + pad;
      const auto answer = rig.h.http.send(id, down, 1);
      if (answer.status == 202)
        accepted[id].push_back(down);
      else
        ++refused;
      const std::string up = "up-" + id + "-" + std::to_string(tick) + pad;
      rig.fleet.publish(i, up);
      published[i].push_back(up);
    }
    ++tick;
  }

  // Ticks every `every_ms` until `until`.
  void run_until(Millis until, int every_ms) {
    while (now_ms() < until) {
      send_tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
    }
  }

  // Every accepted message reached its app and every published one was confirmed.
  bool settled(int timeout_ms) {
    return rig.fleet.wait(
        [&](const std::vector<SdkFleet::Device>& devices) {
          for (std::size_t i = 0; i < devices.size(); ++i)
            if (devices[i].messages.size() < accepted[rig.ids[i]].size() ||
                devices[i].confirmed.size() + static_cast<std::size_t>(devices[i].uplink_failures) <
                    published[i].size())
              return false;
          return true;
        },
        timeout_ms);
  }

  // Nothing lost, nothing twice, in order: downlink at the apps, uplink in kited's event log.
  void check_exactly_once() {
    const auto devices = rig.fleet.snapshot();
    Tally down, up;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const std::string& id = rig.ids[i];
      INFO("device " << id);
      CHECK(devices[i].messages == accepted[id]);
      CHECK(devices[i].uplink_failures == 0);
      CHECK(devices[i].confirmed == published[i]);
      const auto recorded = recorded_uplinks(rig.h, id);
      CHECK(recorded == published[i]);
      down.add(accepted[id], devices[i].messages);
      up.add(published[i], recorded);
    }
    CHECK(refused == 0);
    MESSAGE("downlink: " << down.sent << " accepted, " << down.delivered
                         << " delivered to the apps, " << down.lost << " lost, " << down.twice
                         << " twice; uplink: " << up.sent << " published, " << up.delivered
                         << " recorded by kited, " << up.lost << " lost, " << up.twice << " twice ("
                         << devices.size() << " devices, " << refused << " sends refused)");
  }

 private:
  // What one side sent against what the other got: lost and doubled ones counted.
  struct Tally {
    std::size_t sent = 0, delivered = 0, lost = 0, twice = 0;
    void add(const std::vector<std::string>& sent_ones, const std::vector<std::string>& got) {
      std::map<std::string, int> seen;
      for (const auto& payload : got) ++seen[payload];
      for (const auto& payload : sent_ones) lost += seen.count(payload) == 0;
      for (const auto& [payload, times] : seen) twice += static_cast<std::size_t>(times - 1);
      sent += sent_ones.size();
      delivered += got.size();
    }
  };
};

// The rig's devices all connected and one round of traffic both ways delivered: each fault
// starts from a fleet that works.
inline void warm_up(FieldRig& rig, Traffic& traffic) {
  REQUIRE(rig.all_connected(kWait));
  traffic.send_tick();
  REQUIRE(traffic.settled(kWait));
}

}  // namespace kite::it
