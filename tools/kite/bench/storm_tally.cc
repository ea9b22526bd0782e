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

}  // namespace

void StormTally::merge(const StormTally& o) {
  for (const auto& [bucket, count] : o.opened_by_bucket) opened_by_bucket[bucket] += count;
  for (const auto& [reason, count] : o.ended_by_reason) ended_by_reason[reason] += count;
  reopened += o.reopened;
  resumed += o.resumed;
  devices_back += o.devices_back;
  reopened_twice += o.reopened_twice;
  last_reopen_ms = std::max(last_reopen_ms, o.last_reopen_ms);
  connected_at_end += o.connected_at_end;
  down_accepted += o.down_accepted;
  down_unconfirmed += o.down_unconfirmed;
  down_unreachable += o.down_unreachable;
  down_refused += o.down_refused;
  down_delivered += o.down_delivered;
  down_duplicated += o.down_duplicated;
  down_lost += o.down_lost;
  up_published += o.up_published;
  up_accepted += o.up_accepted;
  up_failed += o.up_failed;
}

json StormTally::json() const {
  return {
      {"reopened", reopened},
      {"resumed", resumed},
      {"devices_back", devices_back},
      {"reopened_twice", reopened_twice},
      {"last_reopen_ms", last_reopen_ms},
      {"connected_at_end", connected_at_end},
      {"ended_by_reason", ended_by_reason},
      {"downlink",
       {{"accepted", down_accepted},
        {"unconfirmed", down_unconfirmed},
        {"unreachable", down_unreachable},
        {"refused", down_refused},
        {"delivered", down_delivered},
        {"duplicated", down_duplicated},
        {"lost", down_lost}}},
      {"uplink", {{"published", up_published}, {"accepted", up_accepted}, {"failed", up_failed}}},
      {"bucket_ms", kStormBucketMs},
      {"opened_by_bucket", curve_json(opened_by_bucket)}};
}

StormTally StormTally::from_json(const nlohmann::json& j) {
  StormTally t;
  for (const auto& pair : j.at("opened_by_bucket"))
    t.opened_by_bucket[pair.at(0).get<std::int64_t>()] = pair.at(1).get<std::uint64_t>();
  t.ended_by_reason = j.at("ended_by_reason").get<std::map<std::string, std::uint64_t>>();
  t.reopened = j.at("reopened").get<std::uint64_t>();
  t.resumed = j.at("resumed").get<std::uint64_t>();
  t.devices_back = j.at("devices_back").get<std::uint64_t>();
  t.reopened_twice = j.at("reopened_twice").get<std::uint64_t>();
  t.last_reopen_ms = j.at("last_reopen_ms").get<std::int64_t>();
  t.connected_at_end = j.at("connected_at_end").get<std::uint64_t>();
  const auto& down = j.at("downlink");
  t.down_accepted = down.at("accepted").get<std::uint64_t>();
  t.down_unconfirmed = down.at("unconfirmed").get<std::uint64_t>();
  t.down_unreachable = down.at("unreachable").get<std::uint64_t>();
  t.down_refused = down.at("refused").get<std::uint64_t>();
  t.down_delivered = down.at("delivered").get<std::uint64_t>();
  t.down_duplicated = down.at("duplicated").get<std::uint64_t>();
  t.down_lost = down.at("lost").get<std::uint64_t>();
  const auto& up = j.at("uplink");
  t.up_published = up.at("published").get<std::uint64_t>();
  t.up_accepted = up.at("accepted").get<std::uint64_t>();
  t.up_failed = up.at("failed").get<std::uint64_t>();
  return t;
}

}  // namespace kite::bench
