// The body of GET /metrics: Prometheus text exposition format 0.0.4, built by one scrape.
//
//   PrometheusText out;
//   out.family("kite_frames_total", MetricType::counter, "Frames received, by type.");
//   out.sample({{"type", "publish"}}, publish_frames);
//   out.sample({{"type", "ack"}}, ack_frames);
//   out.gauge("kite_connections", "Open device connections.", connections);
//   out.histogram("kite_delivery_seconds", "Enqueue to write.", merged_snapshot);
//   respond(200, PrometheusText::kContentType, out.text());
//
// Rules:
// - A family is begun by family() (or by the one-call counter/gauge/histogram) and the samples
//   that follow belong to it. Beginning a name again resumes that family (its type must be the
//   same; the first help text stays), so text() writes every family contiguously, under one
//   # HELP and one # TYPE line, in the order families were first begun, whatever order the
//   samples were added in.
// - Names are preconditions, checked by assert (they are constants in kited's code): metric names
//   match [a-zA-Z_:][a-zA-Z0-9_:]*; label names match [a-zA-Z_][a-zA-Z0-9_]* (no colon, per the
//   format), do not begin with "__" (reserved), are unique within a sample, and are never "le" on
//   a histogram. A histogram named x also writes x_bucket, x_sum and x_count: no other family may
//   take those names. Each label set appears once per family; that is the caller's to keep.
// - Label values and help text may be any bytes: label values escape \ " and newline, help text
//   escapes \ and newline, so no value can end a line or forge a sample.
// - Values: integers are printed exactly; doubles in the shortest form that reads back to the
//   same double; infinities and NaN as +Inf, -Inf, NaN.
// - Histograms come from LatencyHistogram snapshots (microseconds). Buckets are written
//   cumulative, `le` and _sum in seconds (Prometheus base unit) by dividing by micros_per_unit
//   (1e6); _count equals the +Inf bucket.
// - Not thread-safe: one PrometheusText per scrape, filled from snapshots of the per-thread
//   metrics.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "metrics/histogram.h"

namespace kite::server::metrics {

enum class MetricType : std::uint8_t { counter, gauge, histogram };

struct Label {
  std::string_view name;
  std::string_view value;
};

// The labels of one sample, a view that lives for the call: {{"worker", "0"}, {"type", "ack"}},
// or a span over labels built at run time.
class Labels {
 public:
  Labels() = default;
  Labels(std::initializer_list<Label> labels) : labels_(labels.begin(), labels.size()) {}
  Labels(std::span<const Label> labels) : labels_(labels) {}

  std::span<const Label> span() const { return labels_; }

 private:
  std::span<const Label> labels_;
};

// A sample value: any integer (printed exactly) or a double.
class Value {
 public:
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T v) {
    if constexpr (std::signed_integral<T>) {
      v_ = static_cast<std::int64_t>(v);
    } else {
      v_ = static_cast<std::uint64_t>(v);
    }
  }
  Value(double v) : v_(v) {}

  // Appends the value as the exposition format writes it.
  void append_to(std::string* out) const;

 private:
  std::variant<std::int64_t, std::uint64_t, double> v_;
};

class PrometheusText {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
  static constexpr double kMicrosPerSecond = 1e6;

  // Begins (or resumes) the family `name`: the samples that follow belong to it.
  void family(std::string_view name, MetricType type, std::string_view help);

  // A sample of the current counter or gauge family.
  void sample(Labels labels, Value value);
  // A sample of the current histogram family: one _bucket line per bound and +Inf, _sum, _count.
  void sample(Labels labels, const LatencyHistogram::Snapshot& histogram,
              double micros_per_unit = kMicrosPerSecond);

  // family() then sample(), in one call.
  void counter(std::string_view name, std::string_view help, Value value, Labels labels = {});
  void gauge(std::string_view name, std::string_view help, Value value, Labels labels = {});
  void histogram(std::string_view name, std::string_view help,
                 const LatencyHistogram::Snapshot& histogram, Labels labels = {},
                 double micros_per_unit = kMicrosPerSecond);

  // The whole body, every line ending in \n.
  std::string text() const;

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);  // grammar, and not "__"-prefixed

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::string samples;  // sample lines, already formatted
  };

  Family& current();

  std::vector<Family> families_;
  std::unordered_map<std::string, std::size_t> index_;  // name -> families_
  std::size_t current_ = 0;                             // index in families_, if any
};

}  // namespace kite::server::metrics
