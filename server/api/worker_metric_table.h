// The /metrics families that are sums over the workers of one WorkerMetrics counter or gauge,
// as data: a family is a name, a type, its help and its series, each series a label and the
// field it sums. Adding such a metric is a row here, not a hand-written sum.
#pragma once

#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "core/worker_metrics.h"
#include "metrics/prometheus_text.h"

namespace kite::server::api {

struct WorkerSeries {
  using Field =
      std::variant<WorkerMetrics::Counter WorkerMetrics::*, WorkerMetrics::Gauge WorkerMetrics::*>;
  metrics::Label label;  // an empty name: the family's one unlabelled series
  Field field;
};

struct WorkerFamily {
  std::string_view name;
  metrics::MetricType type;
  std::string_view help;
  std::vector<WorkerSeries> series;
};

using WorkerMetricsView = std::span<const WorkerMetrics* const>;

// The sum of one field over every worker: unsigned for a counter, signed for a gauge.
metrics::Value sum(WorkerMetricsView workers, const WorkerSeries::Field& field);
// The same for one counter, as a number to add to.
std::uint64_t total(WorkerMetricsView workers, WorkerMetrics::Counter WorkerMetrics::*counter);

// Writes each family: its header, then one sample a series.
void write_families(std::span<const WorkerFamily> families, WorkerMetricsView workers,
                    metrics::PrometheusText& out);

// The tables, in the order /metrics shows them.
const std::vector<WorkerFamily>& connection_families();  // connections and handshakes
const std::vector<WorkerFamily>& session_families();     // handshakes done, sessions resumed
const std::vector<WorkerFamily>& tls_families();         // the TLS listener, once it is on
const std::vector<WorkerFamily>& traffic_families();     // messages, bytes, commands, frames

}  // namespace kite::server::api
