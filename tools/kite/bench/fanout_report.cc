#include "bench/fanout_report.h"

#include <fmt/format.h>

#include "bench/common.h"

namespace kite::bench {

int print_fanout_report(const BenchOptions& options, const FanoutTotals& totals) {
  const std::uint64_t delivered = totals.at_end.delivered - totals.at_start.delivered;
  const std::uint64_t sent = totals.at_end.sent - totals.at_start.sent;
  const std::uint64_t expected = sent * options.devices;
  const double seconds = totals.measured_seconds;
  const double rate = seconds > 0 ? static_cast<double>(delivered) / seconds : 0;
  const double cpu = totals.at_end.server_cpu - totals.at_start.server_cpu;
  const double per_core = cpu > 0 ? static_cast<double>(delivered) / cpu : 0;
  if (options.json) {
    fmt::print(
        R"({{"scenario":"fanout","devices":{},"qos":{},"burst":{},"window":{},"payload":{},)"
        R"("seconds":{:.2f},"messages_sent":{},"deliveries":{},"deliveries_expected":{},)"
        R"("deliveries_per_s":{:.0f},"server_cpu_s":{:.3f},"deliveries_per_server_core_s":{:.0f},)"
        R"("incomplete_messages":{},"failures":{},"latency_every_member":{},)"
        R"("latency_last_member":{},"errors":{}}})"
        "\n",
        options.devices, options.qos, options.burst, options.window, options.payload, seconds, sent,
        delivered, expected, rate, cpu, per_core, totals.incomplete, totals.errors.total(),
        latency_json(totals.every_member), latency_json(totals.last_member),
        totals.errors.json().dump());
  } else {
    fmt::print(
        "fanout: {} members, QoS {}, {} message(s) per request, window {}: {:.0f} "
        "deliveries/s over {:.2f} s ({} messages, {} of {} deliveries)\n",
        options.devices, options.qos, options.burst, options.window, rate, seconds, sent, delivered,
        expected);
    if (cpu > 0)
      fmt::print("     server CPU {:.2f} s: {:.0f} deliveries per server core-second\n", cpu,
                 per_core);
    fmt::print("     latency, every member: {}\n     latency, last member:  {}\n",
               latency_line(totals.every_member), latency_line(totals.last_member));
    fmt::print("     incomplete messages (not received by every member within 5 s) {}\n{}",
               totals.incomplete, totals.errors.text("     "));
  }
  return totals.errors.empty() && delivered > 0 ? 0 : 1;
}

}  // namespace kite::bench
