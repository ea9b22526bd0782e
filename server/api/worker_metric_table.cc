#include "api/worker_metric_table.h"

namespace kite::server::api {

using metrics::MetricType;
using M = WorkerMetrics;

metrics::Value sum(WorkerMetricsView workers, const WorkerSeries::Field& field) {
  return std::visit(
      [&](auto member) -> metrics::Value {
        decltype((workers[0]->*member).value()) total = 0;
        for (const WorkerMetrics* worker : workers) total += (worker->*member).value();
        return total;
      },
      field);
}

std::uint64_t total(WorkerMetricsView workers, WorkerMetrics::Counter WorkerMetrics::*counter) {
  std::uint64_t all = 0;
  for (const WorkerMetrics* worker : workers) all += (worker->*counter).value();
  return all;
}

void write_families(std::span<const WorkerFamily> families, WorkerMetricsView workers,
                    metrics::PrometheusText& out) {
  for (const WorkerFamily& family : families) {
    out.family(family.name, family.type, family.help);
    for (const WorkerSeries& series : family.series) {
      if (series.label.name.empty())
        out.sample({}, sum(workers, series.field));
      else
        out.sample({series.label}, sum(workers, series.field));
    }
  }
}

const std::vector<WorkerFamily>& connection_families() {
  static const std::vector<WorkerFamily> table{
      {"kite_connections",
       MetricType::gauge,
       "Connections by state: handshaking (not yet authenticated), device, service.",
       {{{"state", "handshaking"}, &M::handshaking},
        {{"state", "device"}, &M::devices_open},
        {{"state", "service"}, &M::services_open}}},
      {"kite_connections_accepted_total",
       MetricType::counter,
       "TCP connections accepted on the device port.",
       {{{}, &M::connections_accepted}}},
  };
  return table;
}

const std::vector<WorkerFamily>& session_families() {
  static const std::vector<WorkerFamily> table{
      {"kite_handshakes_total",
       MetricType::counter,
       "Handshakes that ended with an open session.",
       {{{}, &M::handshakes_ok}}},
      {"kite_sessions_resumed_total",
       MetricType::counter,
       "Sessions that resumed the device's previous state.",
       {{{}, &M::resumed}}},
  };
  return table;
}

const std::vector<WorkerFamily>& tls_families() {
  static const std::vector<WorkerFamily> table{
      {"kite_tls_handshakes_total",
       MetricType::counter,
       "TLS handshakes completed on the TLS device listener; resumed = from a session ticket (no "
       "certificate exchange).",
       {{{"resumed", "false"}, &M::tls_handshakes_full},
        {{"resumed", "true"}, &M::tls_handshakes_resumed}}},
  };
  return table;
}

const std::vector<WorkerFamily>& traffic_families() {
  static const std::vector<WorkerFamily> table{
      {"kite_messages_total",
       MetricType::counter,
       "Messages: in = publishes from devices and services, out = sent to devices.",
       {{{"direction", "in"}, &M::messages_in}, {{"direction", "out"}, &M::messages_out}}},
      {"kite_bytes_total",
       MetricType::counter,
       "Bytes on the device port, after compression (what the sockets carried).",
       {{{"direction", "in"}, &M::bytes_in}, {{"direction", "out"}, &M::bytes_out}}},
      {"kite_acks_received_total",
       MetricType::counter,
       "Ack frames from devices (each covers one or more messages).",
       {{{}, &M::acks_in}}},
      {"kite_kicked_total",
       MetricType::counter,
       "Sessions ended by the server (replaced, revoked, shutdown).",
       {{{}, &M::kicked}}},
      {"kite_uplink_throttled_total",
       MetricType::counter,
       "Times a device went over its uplink rate and its socket was paused.",
       {{{}, &M::uplink_throttled}}},
      {"kite_reading_blocked_total",
       MetricType::counter,
       "Times a peer's input was paused because it did not read kited's answers (write queue "
       "above 4x write_high_water_bytes).",
       {{{}, &M::reading_blocked}}},
      {"kite_commands_total",
       MetricType::counter,
       "Commands sent to devices, and how they ended.",
       {{{"outcome", "sent"}, &M::commands_sent},
        {{"outcome", "replied"}, &M::commands_replied},
        {{"outcome", "timed_out"}, &M::commands_timed_out},
        {{"outcome", "failed"}, &M::commands_failed}}},
      {"kite_frame_body_bytes_total",
       MetricType::counter,
       "Bytes of frame bodies kited wrote: encoded (before compression) and written (as on the "
       "wire); written / encoded is the compression ratio.",
       {{{"stage", "encoded"}, &M::body_bytes_encoded},
        {{"stage", "written"}, &M::body_bytes_written}}},
      {"kite_frames_written_total",
       MetricType::counter,
       "Frames kited wrote.",
       {{{}, &M::frames_encoded}}},
      {"kite_frames_compressed_total",
       MetricType::counter,
       "Frames kited wrote compressed (zstd).",
       {{{}, &M::frames_compressed}}},
  };
  return table;
}

}  // namespace kite::server::api
