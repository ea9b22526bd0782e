// Consumer group clients for the integration tests: members that long-poll, acknowledge what they
// got on their next poll, and remember what their acks covered; traffic from 1,000 devices.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "kite_cli.h"

namespace kite::it {

inline std::vector<std::string> group_ready() {
  return {"--set", "session.uplink_rate_per_s=1000000",
          "--set", "session.uplink_burst=10000000",
          "--set", "auth.max_unauthenticated_per_ip=100000",
          "--set", "events.consumer_visibility_ms=1000",
          "--set", "events.consumer_member_ms=1000"};
}

// Events from 1,000 devices: each connects, publishes uplinks, disconnects (kite bench uplink).
inline void make_traffic(const Harness& h) {
  auto run = run_kite({"bench", "uplink", "--port", std::to_string(h.kited.device_port()),
                       "--master-key", master_key_hex(), "--source-prefix", "127.0.33.",
                       "--devices", "1000", "--seconds", "1", "--warmup", "0", "--rate", "3000"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  // Every device's disconnect is shown once written: up to store.write_behind_ms after the run.
  REQUIRE(h.wait_events("type=disconnect&limit=10000", 1000)["events"].size() >= 1000);
}

// Every event held: id -> device.
inline std::map<std::uint64_t, std::string> all_events(HttpClient& http) {
  std::map<std::uint64_t, std::string> events;
  std::string after = "0";
  for (int page = 0; page < 100; ++page) {
    auto body = http.request("GET", "/v1/events?wait=0s&limit=10000&after=" + after).json();
    if (body["events"].empty()) break;
    for (const auto& e : body["events"])
      events[std::stoull(e["id"].get<std::string>())] = e["device"].get<std::string>();
    after = body["last_id"].get<std::string>();
  }
  return events;
}

struct Member {
  std::string name;
  std::uint64_t last = 0;                                  // newest id received: acked next poll
  std::vector<std::pair<std::uint64_t, std::string>> got;  // in arrival order
  std::set<std::uint64_t> acked;                           // what its acks covered
  std::size_t pending_from = 0;                            // got[pending_from..] not acked yet
};

// One long-poll of `member` of `group`: acknowledges what it got last time, takes up to 200 more.
inline void poll(HttpClient& http, Member& member, const std::string& group = "workers") {
  std::string target = "/v1/events?consumer_group=" + group + "&member=" + member.name +
                       "&after=0&wait=0s&limit=200";
  if (member.last != 0) target += "&ack=" + std::to_string(member.last);
  auto response = http.request("GET", target);
  INFO(response.body);
  REQUIRE(response.status == 200);
  for (std::size_t i = member.pending_from; i < member.got.size(); ++i)
    member.acked.insert(member.got[i].first);
  member.pending_from = member.got.size();
  const auto body = response.json();  // kept: a range-for over a temporary's member dangles
  for (const auto& e : body["events"]) {
    const std::uint64_t id = std::stoull(e["id"].get<std::string>());
    member.got.emplace_back(id, e["device"].get<std::string>());
    member.last = std::max(member.last, id);
  }
}

inline std::uint64_t group_lag_of(HttpClient& http, const std::string& name) {
  auto body = http.request("GET", "/v1/event-groups").json();
  for (const auto& group : body["groups"])
    if (group["name"] == name) return group["lag"].get<std::uint64_t>();
  return ~std::uint64_t{0};
}

// Every event of `truth` acknowledged by exactly one member, and each member got each device's
// events in order.
inline void check_handled_once(const std::map<std::uint64_t, std::string>& truth,
                               const std::vector<Member>& members) {
  std::map<std::uint64_t, int> handled;  // by a member that acknowledged it
  for (const auto& member : members)
    for (std::uint64_t id : member.acked) ++handled[id];
  for (const auto& entry : truth) {  // not a structured binding: clang 14's CAPTURE
    const std::uint64_t id = entry.first;
    CAPTURE(id);
    CHECK(handled[id] == 1);  // every event, once (the dead member's were not acked)
  }
  for (const auto& member : members) {  // per device, in order at each member
    std::map<std::string, std::uint64_t> newest;
    for (const auto& [id, device] : member.got) {
      CHECK(id > newest[device]);
      newest[device] = id;
    }
  }
}

}  // namespace kite::it
