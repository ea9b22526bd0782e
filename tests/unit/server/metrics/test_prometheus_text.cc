// PrometheusText: exact exposition output, escaping, and every body read back by a small
// validator of the 0.0.4 text grammar.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/prometheus_text.h"

using namespace kite::server::metrics;

namespace {

// Checks a body against the text format: every line ends in \n; comment lines are
// `# HELP name text` or `# TYPE name type`, at most one of each per family, before its samples;
// every other line is `name{label="value",...} value` with names, escapes and the value in the
// grammar; a family's samples are contiguous and follow its HELP and TYPE lines. Returns "" or the
// problem.
std::string validate(const std::string& body) {
  static const std::string kName = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  static const std::string kLabel = R"([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")";
  static const std::string kValue =
      R"((?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN))";
  static const std::regex kSample("(" + kName + ")(?:\\{(?:" + kLabel + "(?:," + kLabel +
                                  ")*)?\\})? " + kValue);
  static const std::regex kHelp("# HELP (" + kName + ") (?:[^\\\\\n]|\\\\[\\\\n])*");
  static const std::regex kType("# TYPE (" + kName + ") (counter|gauge|histogram|summary|untyped)");

  if (!body.empty() && body.back() != '\n') return "body does not end in a newline";
  std::set<std::string> helped, typed, finished;
  std::string family, type;
  std::istringstream in(body);
  std::string line;
  auto leave = [&](const std::string& next) {
    if (!family.empty() && family != next) finished.insert(family);
  };
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      if (!helped.insert(m[1]).second) return "second HELP: " + line;
      if (finished.count(m[1]) != 0) return "family not contiguous: " + line;
      leave(m[1]);
      family = m[1];
    } else if (std::regex_match(line, m, kType)) {
      if (!typed.insert(m[1]).second) return "second TYPE: " + line;
      if (finished.count(m[1]) != 0) return "family not contiguous: " + line;
      leave(m[1]);
      family = m[1];
      type = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      std::string name = m[1];
      std::string owner = name;
      if (type == "histogram") {
        for (std::string suffix : {"_bucket", "_sum", "_count"}) {
          if (name.size() > suffix.size() && name.ends_with(suffix) &&
              name.substr(0, name.size() - suffix.size()) == family) {
            owner = family;
          }
        }
      }
      if (owner != family) {
        // A sample with no TYPE line is an untyped family of its own, also contiguous.
        if (finished.count(owner) != 0 || typed.count(owner) != 0 || helped.count(owner) != 0) {
          return "sample outside its family: " + line;
        }
        leave(owner);
        family = owner;
        type = "untyped";
      }
    } else {
      return "bad line: " + line;
    }
  }
  return "";
}

std::string bounds_lines(const std::string& series, const std::string& labels,
                         const std::vector<std::uint64_t>& cumulative) {
  static const char* kLe[] = {"5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
                              "0.005", "0.01",   "0.025",   "0.05",   "0.1",   "0.25",
                              "0.5",   "1",      "2.5",     "5",      "+Inf"};
  std::string out;
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    out += series + "_bucket{" + labels + "le=\"" + kLe[i] + "\"} " +
           std::to_string(cumulative[i]) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a counter family with two label sets, a gauge and a histogram") {
  LatencyHistogram h;
  h.observe(50);         // le 5e-05
  h.observe(1200);       // le 0.0025
  h.observe(6'000'000);  // +Inf
  PrometheusText out;
  out.family("kite_frames_total", MetricType::counter, "Frames received, by type.");
  out.sample({{"type", "publish"}}, std::uint64_t{12});
  out.sample({{"type", "ack"}}, 3);
  out.gauge("kite_connections", "Open device connections.", -2);
  out.histogram("kite_delivery_seconds", "Enqueue to write.", h.snapshot(), {{"worker", "0"}});

  std::string expected =
      "# HELP kite_frames_total Frames received, by type.\n"
      "# TYPE kite_frames_total counter\n"
      "kite_frames_total{type=\"publish\"} 12\n"
      "kite_frames_total{type=\"ack\"} 3\n"
      "# HELP kite_connections Open device connections.\n"
      "# TYPE kite_connections gauge\n"
      "kite_connections -2\n"
      "# HELP kite_delivery_seconds Enqueue to write.\n"
      "# TYPE kite_delivery_seconds histogram\n" +
      bounds_lines("kite_delivery_seconds", "worker=\"0\",",
                   {1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3}) +
      "kite_delivery_seconds_sum{worker=\"0\"} 6.00125\n"
      "kite_delivery_seconds_count{worker=\"0\"} 3\n";
  CHECK(out.text() == expected);
  CHECK(validate(out.text()) == "");
}

TEST_CASE("a histogram without labels, empty") {
  PrometheusText out;
  out.histogram("kite_empty_seconds", "Nothing yet.", LatencyHistogram::Snapshot{});
  std::string expected =
      "# HELP kite_empty_seconds Nothing yet.\n"
      "# TYPE kite_empty_seconds histogram\n" +
      bounds_lines("kite_empty_seconds", "", std::vector<std::uint64_t>(17)) +
      "kite_empty_seconds_sum 0\n"
      "kite_empty_seconds_count 0\n";
  CHECK(out.text() == expected);
  CHECK(validate(out.text()) == "");
}

TEST_CASE("a family begun again is resumed: one HELP and TYPE, samples contiguous") {
  PrometheusText out;
  out.counter("kite_bytes_total", "Bytes written.", 10, {{"worker", "0"}});
  out.gauge("kite_connections", "Open connections.", 5, {{"worker", "0"}});
  out.counter("kite_bytes_total", "Bytes written.", 20, {{"worker", "1"}});
  out.gauge("kite_connections", "Open connections.", 6, {{"worker", "1"}});
  CHECK(out.text() ==
        "# HELP kite_bytes_total Bytes written.\n"
        "# TYPE kite_bytes_total counter\n"
        "kite_bytes_total{worker=\"0\"} 10\n"
        "kite_bytes_total{worker=\"1\"} 20\n"
        "# HELP kite_connections Open connections.\n"
        "# TYPE kite_connections gauge\n"
        "kite_connections{worker=\"0\"} 5\n"
        "kite_connections{worker=\"1\"} 6\n");
  CHECK(validate(out.text()) == "");
}

TEST_CASE("label values escape backslash, quote and newline; help escapes backslash and newline") {
  PrometheusText out;
  out.family("kite_test", MetricType::gauge, "a \\ b\nc \"d\"");
  out.sample({{"device", "x\\y\"z\nw"}, {"empty", ""}}, 1);
  const std::vector<Label> runtime = {{"k", "line1\nline2"}};
  out.sample(Labels(std::span<const Label>(runtime)), 2);
  CHECK(out.text() ==
        "# HELP kite_test a \\\\ b\\nc \"d\"\n"
        "# TYPE kite_test gauge\n"
        "kite_test{device=\"x\\\\y\\\"z\\nw\",empty=\"\"} 1\n"
        "kite_test{k=\"line1\\nline2\"} 2\n");
  CHECK(validate(out.text()) == "");
}

TEST_CASE("values: integers exact, doubles shortest round-trip, infinities and NaN") {
  PrometheusText out;
  out.family("kite_v", MetricType::gauge, "v");
  out.sample({{"i", "umax"}}, std::numeric_limits<std::uint64_t>::max());
  out.sample({{"i", "imin"}}, std::numeric_limits<std::int64_t>::min());
  out.sample({{"i", "tenth"}}, 0.1);
  out.sample({{"i", "whole"}}, 3.0);
  out.sample({{"i", "tiny"}}, 1e-7);
  out.sample({{"i", "inf"}}, std::numeric_limits<double>::infinity());
  out.sample({{"i", "ninf"}}, -std::numeric_limits<double>::infinity());
  out.sample({{"i", "nan"}}, std::nan(""));
  CHECK(out.text() ==
        "# HELP kite_v v\n"
        "# TYPE kite_v gauge\n"
        "kite_v{i=\"umax\"} 18446744073709551615\n"
        "kite_v{i=\"imin\"} -9223372036854775808\n"
        "kite_v{i=\"tenth\"} 0.1\n"
        "kite_v{i=\"whole\"} 3\n"
        "kite_v{i=\"tiny\"} 1e-07\n"
        "kite_v{i=\"inf\"} +Inf\n"
        "kite_v{i=\"ninf\"} -Inf\n"
        "kite_v{i=\"nan\"} NaN\n");
  CHECK(validate(out.text()) == "");
}

TEST_CASE("names: metric names may hold colons, label names may not, __ is reserved") {
  CHECK(PrometheusText::valid_metric_name("kite_frames_total"));
  CHECK(PrometheusText::valid_metric_name(":kite:rate5m"));
  CHECK(PrometheusText::valid_metric_name("_x9"));
  CHECK_FALSE(PrometheusText::valid_metric_name(""));
  CHECK_FALSE(PrometheusText::valid_metric_name("9lives"));
  CHECK_FALSE(PrometheusText::valid_metric_name("kite-frames"));
  CHECK_FALSE(PrometheusText::valid_metric_name("kite frames"));
  CHECK(PrometheusText::valid_label_name("worker"));
  CHECK(PrometheusText::valid_label_name("_w1"));
  CHECK_FALSE(PrometheusText::valid_label_name(""));
  CHECK_FALSE(PrometheusText::valid_label_name("a:b"));
  CHECK_FALSE(PrometheusText::valid_label_name("1a"));
  CHECK_FALSE(PrometheusText::valid_label_name("__name__"));
}

TEST_CASE("the validator itself rejects what the format forbids") {
  CHECK(validate("x 1\n") == "");
  CHECK(validate("x{a=\"b\"} 1.5e+06\n") == "");
  CHECK(validate("x 1") != "");                                    // no final newline
  CHECK(validate("x{a=\"b\nc\"} 1\n") != "");                      // raw newline in a label value
  CHECK(validate("x{a=\"b\"c\"} 1\n") != "");                      // raw quote in a label value
  CHECK(validate("x{a-b=\"c\"} 1\n") != "");                       // bad label name
  CHECK(validate("x one\n") != "");                                // bad value
  CHECK(validate("x inf\n") != "");                                // Go spelling only: +Inf
  CHECK(validate("# TYPE x gauge\nx 1\n# TYPE x gauge\n") != "");  // second TYPE
  CHECK(validate("# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n") != "");  // not contiguous
  CHECK(validate("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n") == "");
}

TEST_CASE("the content type is the 0.0.4 text format") {
  CHECK(PrometheusText::kContentType == "text/plain; version=0.0.4; charset=utf-8");
}
