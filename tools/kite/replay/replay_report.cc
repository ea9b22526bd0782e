#include "replay/replay_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace kite::cli {
namespace {

using Json = nlohmann::ordered_json;

// The latency at `fraction` (0.5, 0.99) of the sorted samples: nearest rank.
double percentile_ms(const std::vector<std::uint64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[rank]) / 1000.0;
}

DeviceReport total_of(const std::vector<DeviceReport>& devices) {
  DeviceReport total;
  for (const auto& d : devices) {
    total.captured_uplink += d.captured_uplink * d.runs;
    total.captured_downlink += d.captured_downlink * d.runs;
    total.captured_acks += d.captured_acks * d.runs;
    total.runs += d.runs;
    total.connected += d.connected;
    total.sent += d.sent;
    total.received += d.received;
    total.acks += d.acks;
    for (const auto& [kind, n] : d.errors.by_kind) total.errors.by_kind[kind] += n;
    total.latency_us.insert(total.latency_us.end(), d.latency_us.begin(), d.latency_us.end());
  }
  return total;
}

// `captured` is what the capture holds for all runs together.
Json counts_json(const DeviceReport& d, std::uint64_t runs_factor) {
  std::vector<std::uint64_t> sorted = d.latency_us;
  std::sort(sorted.begin(), sorted.end());
  Json errors = Json::object();
  for (const auto& [kind, n] : d.errors.by_kind) errors[kind] = n;
  return Json{{"sessions", d.runs},
              {"connected", d.connected},
              {"uplink_sent", d.sent},
              {"uplink_captured", d.captured_uplink * runs_factor},
              {"downlink_received", d.received},
              {"downlink_captured", d.captured_downlink * runs_factor},
              {"acks_received", d.acks},
              {"acks_captured", d.captured_acks * runs_factor},
              {"errors", std::move(errors)},
              {"latency_ms",
               {{"samples", sorted.size()},
                {"p50", percentile_ms(sorted, 0.5)},
                {"p99", percentile_ms(sorted, 0.99)}}}};
}

std::string errors_text(const ReplayErrors& errors) {
  std::string out;
  for (const auto& [kind, n] : errors.by_kind)
    out += (out.empty() ? "" : ", ") + fmt::format("{} {}", n, kind);
  return out.empty() ? "-" : out;
}

}  // namespace

Json report_json(const std::vector<DeviceReport>& devices, double seconds) {
  Json list = Json::array();
  std::uint64_t failed = 0;
  for (const auto& d : devices) {
    Json one{{"connection", d.connection}, {"device", d.device_id}, {"ok", !d.failed()}};
    one.update(counts_json(d, d.runs));
    list.push_back(std::move(one));
    failed += d.failed() ? 1 : 0;
  }
  Json total{{"devices", devices.size()}, {"failed", failed}};
  total.update(counts_json(total_of(devices), 1));
  return Json{{"seconds", seconds}, {"total", std::move(total)}, {"devices", std::move(list)}};
}

std::string report_text(const std::vector<DeviceReport>& devices, double seconds) {
  std::string out =
      fmt::format("{:<10} {:<24} {:>11} {:>11} {:>6} {:>9} {:>9}  {}\n", "CONNECTION", "DEVICE",
                  "SENT/CAPT", "RECV/CAPT", "ACKS", "P50 ms", "P99 ms", "ERRORS");
  auto line = [&out](const std::string& connection, const std::string& device,
                     const DeviceReport& d, std::uint64_t runs_factor) {
    std::vector<std::uint64_t> sorted = d.latency_us;
    std::sort(sorted.begin(), sorted.end());
    out +=
        fmt::format("{:<10} {:<24} {:>11} {:>11} {:>6} {:>9.3f} {:>9.3f}  {}\n", connection, device,
                    fmt::format("{}/{}", d.sent, d.captured_uplink * runs_factor),
                    fmt::format("{}/{}", d.received, d.captured_downlink * runs_factor), d.acks,
                    percentile_ms(sorted, 0.5), percentile_ms(sorted, 0.99), errors_text(d.errors));
  };
  for (const auto& d : devices) line(d.connection, d.device_id, d, d.runs);
  line("total", fmt::format("{} devices", devices.size()), total_of(devices), 1);
  out += fmt::format("{:.3f} s\n", seconds);
  return out;
}

}  // namespace kite::cli
