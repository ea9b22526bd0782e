#include "bench/storm_tally.h"

#include <algorithm>

namespace kite::bench {
namespace {

using nlohmann::json;

// The curve as [[bucket, count], ...]: JSON keys are strings, and a script reads pairs easily.
json curve_json(const std::map<std::int64_t, std::uint64_t>& curve) {
  json pairs = json::array();
  for (const auto& [bucket, count] : curve) pairs.push_back({bucket, count});
  return pairs;
}

// Every plain counter, where it sits in the JSON ("" group: the top level): merge() adds them,
// json() and from_json() write and read them, from this one list.
struct Counter {
  const char* group;
  const char* name;
  std::uint64_t StormTally::*member;
};
constexpr Counter kCounters[] = {
    {"", "reopened", &StormTally::reopened},
    {"", "resumed", &StormTally::resumed},
    {"", "devices_back", &StormTally::devices_back},
    {"", "reopened_twice", &StormTally::reopened_twice},
    {"", "connected_at_end", &StormTally::connected_at_end},
    {"downlink", "accepted", &StormTally::down_accepted},
    {"downlink", "unconfirmed", &StormTally::down_unconfirmed},
    {"downlink", "unreachable", &StormTally::down_unreachable},
    {"downlink", "refused", &StormTally::down_refused},
    {"downlink", "delivered", &StormTally::down_delivered},
    {"downlink", "duplicated", &StormTally::down_duplicated},
    {"downlink", "lost", &StormTally::down_lost},
    {"uplink", "published", &StormTally::up_published},
    {"uplink", "accepted", &StormTally::up_accepted},
    {"uplink", "failed", &StormTally::up_failed},
};

json& slot(json& j, const Counter& c) {
  return *c.group ? j[c.group][c.name] : j[c.name];
}
const json& slot(const json& j, const Counter& c) {
  return *c.group ? j.at(c.group).at(c.name) : j.at(c.name);
}

}  // namespace

void StormTally::merge(const StormTally& o) {
  for (const auto& [bucket, count] : o.opened_by_bucket) opened_by_bucket[bucket] += count;
  for (const auto& [reason, count] : o.ended_by_reason) ended_by_reason[reason] += count;
  for (const Counter& c : kCounters) this->*c.member += o.*c.member;
  last_reopen_ms = std::max(last_reopen_ms, o.last_reopen_ms);
}

json StormTally::json() const {
  nlohmann::json j = {{"last_reopen_ms", last_reopen_ms},
                      {"ended_by_reason", ended_by_reason},
                      {"bucket_ms", kStormBucketMs},
                      {"opened_by_bucket", curve_json(opened_by_bucket)}};
  for (const Counter& c : kCounters) slot(j, c) = this->*c.member;
  return j;
}

StormTally StormTally::from_json(const nlohmann::json& j) {
  StormTally t;
  for (const auto& pair : j.at("opened_by_bucket"))
    t.opened_by_bucket[pair.at(0).get<std::int64_t>()] = pair.at(1).get<std::uint64_t>();
  t.ended_by_reason = j.at("ended_by_reason").get<std::map<std::string, std::uint64_t>>();
  t.last_reopen_ms = j.at("last_reopen_ms").get<std::int64_t>();
  for (const Counter& c : kCounters) t.*c.member = slot(j, c).get<std::uint64_t>();
  return t;
}

}  // namespace kite::bench
