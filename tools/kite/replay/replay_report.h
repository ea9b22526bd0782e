// What `kite replay` counted, per device and in total, and how it is printed: a text table on
// stdout, or one JSON object (--json). Captured counts are per run; the replayed ones add up
// over every run (--loop), so a complete replay sends captured_uplink * runs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kite::cli {

// How a device's replay went wrong, by kind; the exit code follows from them.
struct ReplayErrors {
  std::map<std::string, std::uint64_t> by_kind;  // "connect refused", "closed: Replaced"...
  bool unreachable = false;  // kited could not be reached, or refused the credentials
  void add(const std::string& kind) { ++by_kind[kind]; }
};

struct DeviceReport {
  std::string connection, device_id;
  std::uint64_t captured_uplink = 0, captured_downlink = 0, captured_acks = 0;
  std::uint64_t runs = 0;       // sessions started for it
  std::uint64_t connected = 0;  // sessions that opened
  std::uint64_t sent = 0;       // uplink messages re-issued
  std::uint64_t received = 0;   // downlink publishes received (and acked by the session)
  std::uint64_t acks = 0;       // QoS 1 publishes kited acknowledged
  ReplayErrors errors;
  std::vector<std::uint64_t> latency_us;  // publish -> ack, QoS 1 only

  bool failed() const {
    return !errors.by_kind.empty() || connected < runs || sent < captured_uplink * runs;
  }
};

nlohmann::ordered_json report_json(const std::vector<DeviceReport>& devices, double seconds);
std::string report_text(const std::vector<DeviceReport>& devices, double seconds);

}  // namespace kite::cli
