#include "bench/child_wire.h"

#include <nlohmann/json.hpp>

namespace kite::bench {
namespace {

using nlohmann::json;

json histogram_json(const Histogram& h) {
  const Histogram::Parts parts = h.parts();
  json buckets = json::array();
  for (const auto& [index, count] : parts.buckets) buckets.push_back({index, count});
  return {{"count", parts.count}, {"sum", parts.sum}, {"max", parts.max}, {"buckets", buckets}};
}

std::optional<Histogram> histogram_from(const json& j) {
  Histogram::Parts parts;
  parts.count = j.at("count").get<std::uint64_t>();
  parts.sum = j.at("sum").get<std::uint64_t>();
  parts.max = j.at("max").get<std::uint64_t>();
  for (const auto& bucket : j.at("buckets"))
    parts.buckets.emplace_back(bucket.at(0).get<std::size_t>(), bucket.at(1).get<std::uint64_t>());
  return Histogram::from_parts(parts);
}

Progress progress_from(const json& j) {
  Progress p;
  p.phase = phase_from_name(j.at("phase").get<std::string>()).value_or(Phase::Connecting);
  p.devices = j.at("devices").get<std::uint64_t>();
  p.connected = j.at("connected").get<std::uint64_t>();
  p.count = j.at("count").get<std::uint64_t>();
  p.in_flight = j.at("in_flight").get<std::uint64_t>();
  p.errors = j.at("errors").get<std::uint64_t>();
  return p;
}

std::optional<RunReport> report_from(const json& j) {
  RunReport r;
  r.setup_error = j.at("setup_error").get<std::string>();
  r.devices = j.at("devices").get<std::uint64_t>();
  r.connected = j.at("connected").get<std::uint64_t>();
  r.count = j.at("count").get<std::uint64_t>();
  r.sent = j.at("sent").get<std::uint64_t>();
  r.started_ns = j.at("started_ns").get<std::int64_t>();
  r.ended_ns = j.at("ended_ns").get<std::int64_t>();
  r.server_cpu_at_start = j.at("server_cpu_at_start").get<double>();
  r.server_cpu_at_end = j.at("server_cpu_at_end").get<double>();
  r.server_rss_before = j.at("server_rss_before").get<std::uint64_t>();
  r.server_rss_after = j.at("server_rss_after").get<std::uint64_t>();
  auto latency = histogram_from(j.at("latency"));
  if (!latency) return std::nullopt;
  r.latency = *latency;
  r.errors = ErrorTally::from_json(j.at("errors"));
  r.storm = StormTally::from_json(j.at("storm"));
  return r;
}

}  // namespace

std::string progress_line(const Progress& p) {
  return json{{"type", "progress"},   {"phase", phase_name(p.phase)},
              {"devices", p.devices}, {"connected", p.connected},
              {"count", p.count},     {"in_flight", p.in_flight},
              {"errors", p.errors}}
      .dump();
}

std::string ready_line() {
  return json{{"type", "ready"}}.dump();
}

std::string report_line(const RunReport& r) {
  return json{{"type", "report"},
              {"setup_error", r.setup_error},
              {"devices", r.devices},
              {"connected", r.connected},
              {"count", r.count},
              {"sent", r.sent},
              {"started_ns", r.started_ns},
              {"ended_ns", r.ended_ns},
              {"server_cpu_at_start", r.server_cpu_at_start},
              {"server_cpu_at_end", r.server_cpu_at_end},
              {"server_rss_before", r.server_rss_before},
              {"server_rss_after", r.server_rss_after},
              {"latency", histogram_json(r.latency)},
              {"errors", r.errors.json()},
              {"storm", r.storm.json()}}
      .dump();
}

// Anything malformed is Invalid: the parent then says which child sent it.
ChildLine parse_child_line(std::string_view line) {
  ChildLine out;
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return out;
  const std::string type = j["type"].get<std::string>();
  try {
    if (type == "progress") {
      out.progress = progress_from(j);
      out.type = ChildLine::Type::Progress;
    } else if (type == "ready") {
      out.type = ChildLine::Type::Ready;
    } else if (type == "report") {
      out.report = report_from(j);
      if (out.report) out.type = ChildLine::Type::Report;
    }
  } catch (const json::exception&) {
    out = {};
  }
  return out;
}

}  // namespace kite::bench
