// What one process of `kite bench storm` counted, in a form the parent of --processes can add up
// and send as JSON: when sessions opened (the reconnect curve), whether kited resumed them, why
// connections ended, and the messages both ways with what went missing or came twice.
//
// Times are wall-clock milliseconds since the epoch (not the steady clock): the script that
// drains or kills kited notes its own instants with `date`, and the two must compare.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace kite::bench {

// Width of one bucket of the opening curve. Fine enough to re-bin around any instant a script
// chooses (the kill, the restart) without being off by most of a second.
inline constexpr std::int64_t kStormBucketMs = 100;

struct StormTally {
  // Sessions opened after the start word, by bucket (epoch ms / kStormBucketMs): the curve.
  std::map<std::int64_t, std::uint64_t> opened_by_bucket;
  std::uint64_t reopened = 0;        // sessions opened after the start (every device's, summed)
  std::uint64_t resumed = 0;         // of those, kited kept the session (StateChange::resumed)
  std::uint64_t devices_back = 0;    // devices that opened at least one session after the start
  std::uint64_t reopened_twice = 0;  // devices that opened more than one
  std::int64_t last_reopen_ms = 0;   // the latest of every device's last opening (epoch ms)
  std::uint64_t connected_at_end = 0;
  std::map<std::string, std::uint64_t> ended_by_reason;  // Disconnected, by its reason

  // Downlink (admin API to device): accepted = answered 202; unconfirmed = sent, no answer
  // (kited went away under it: it may or may not have taken it); unreachable = not sent (no
  // connection); refused = any other answer.
  std::uint64_t down_accepted = 0, down_unconfirmed = 0, down_unreachable = 0, down_refused = 0;
  std::uint64_t down_delivered = 0;   // distinct messages handed to the app, accepted or not
  std::uint64_t down_duplicated = 0;  // handed to the app a second time (or more)
  std::uint64_t down_lost = 0;        // accepted, never handed to the app by the end
  // Uplink (device to kited): published = publish() took it; accepted = confirmed (QoS 1);
  // failed = its completion said otherwise. Delivery to a backend is counted outside, from
  // kited's event stream (tests/bench/storm).
  std::uint64_t up_published = 0, up_accepted = 0, up_failed = 0;

  void merge(const StormTally& other);
  nlohmann::json json() const;
  // The inverse of json(); throws nlohmann::json::exception on a malformed object.
  static StormTally from_json(const nlohmann::json& j);
};

}  // namespace kite::bench
