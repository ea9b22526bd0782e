// PrometheusText: formatting and escaping of the exposition text.
#include "metrics/prometheus_text.h"

#include <cassert>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace kite::server::metrics {
namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void append_double(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", v);  // shortest round-trip form
  }
}

// HELP text escapes \ and newline; label values also escape ".
void append_escaped(std::string_view text, bool quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (quote && c == '"') {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

[[maybe_unused]] bool valid_labels(std::span<const Label> labels, bool histogram) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!PrometheusText::valid_label_name(labels[i].name)) return false;
    if (histogram && labels[i].name == "le") return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (labels[j].name == labels[i].name) return false;
    }
  }
  return true;
}

// name{a="x",b="y"} or name{a="x",le="0.5"}: `extra` is a last label whose value is already
// formatted (the histogram's le). No braces when there are no labels.
void append_series(std::string_view name, std::string_view suffix, std::span<const Label> labels,
                   std::string_view extra_value, std::string* out) {
  out->append(name);
  out->append(suffix);
  if (labels.empty() && extra_value.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const Label& label : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(label.name);
    out->append("=\"");
    append_escaped(label.value, true, out);
    out->push_back('"');
  }
  if (!extra_value.empty()) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Value::append_to(std::string* out) const {
  if (const auto* d = std::get_if<double>(&v_)) {
    append_double(*d, out);
  } else if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    fmt::format_to(std::back_inserter(*out), "{}", *i);
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", std::get<std::uint64_t>(v_));
  }
}

bool PrometheusText::valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_name_start(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool PrometheusText::valid_label_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!(is_name_start(c) || is_digit(c))) return false;
  }
  return true;
}

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  assert(valid_metric_name(name));
  auto [it, inserted] = index_.try_emplace(std::string(name), families_.size());
  if (inserted) families_.push_back(Family{std::string(name), type, std::string(help), {}});
  assert(families_[it->second].type == type);
  current_ = it->second;
}

PrometheusText::Family& PrometheusText::current() {
  assert(current_ < families_.size() && "sample() before family()");
  return families_[current_];
}

void PrometheusText::sample(Labels labels, Value value) {
  Family& f = current();
  assert(f.type != MetricType::histogram);
  assert(valid_labels(labels.span(), false));
  append_series(f.name, "", labels.span(), "", &f.samples);
  f.samples.push_back(' ');
  value.append_to(&f.samples);
  f.samples.push_back('\n');
}

void PrometheusText::sample(Labels labels, const LatencyHistogram::Snapshot& histogram,
                            double micros_per_unit) {
  Family& f = current();
  assert(f.type == MetricType::histogram);
  assert(valid_labels(labels.span(), true));
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    cumulative += histogram.buckets[i];
    le.clear();
    if (i < LatencyHistogram::kBoundsMicros.size()) {
      append_double(static_cast<double>(LatencyHistogram::kBoundsMicros[i]) / micros_per_unit, &le);
    } else {
      le = "+Inf";
    }
    append_series(f.name, "_bucket", labels.span(), le, &f.samples);
    fmt::format_to(std::back_inserter(f.samples), " {}\n", cumulative);
  }
  append_series(f.name, "_sum", labels.span(), "", &f.samples);
  f.samples.push_back(' ');
  append_double(static_cast<double>(histogram.sum_micros) / micros_per_unit, &f.samples);
  f.samples.push_back('\n');
  append_series(f.name, "_count", labels.span(), "", &f.samples);
  fmt::format_to(std::back_inserter(f.samples), " {}\n", histogram.count);
}

void PrometheusText::counter(std::string_view name, std::string_view help, Value value,
                             Labels labels) {
  family(name, MetricType::counter, help);
  sample(labels, value);
}

void PrometheusText::gauge(std::string_view name, std::string_view help, Value value,
                           Labels labels) {
  family(name, MetricType::gauge, help);
  sample(labels, value);
}

void PrometheusText::histogram(std::string_view name, std::string_view help,
                               const LatencyHistogram::Snapshot& histogram, Labels labels,
                               double micros_per_unit) {
  family(name, MetricType::histogram, help);
  sample(labels, histogram, micros_per_unit);
}

std::string PrometheusText::text() const {
  std::string out;
  std::size_t size = 0;
  for (const Family& f : families_) size += 2 * f.name.size() + f.help.size() + f.samples.size();
  out.reserve(size + families_.size() * 32);
  for (const Family& f : families_) {
    out.append("# HELP ");
    out.append(f.name);
    out.push_back(' ');
    append_escaped(f.help, false, &out);
    out.append("\n# TYPE ");
    out.append(f.name);
    out.push_back(' ');
    out.append(type_name(f.type));
    out.push_back('\n');
    out.append(f.samples);
  }
  return out;
}

}  // namespace kite::server::metrics
