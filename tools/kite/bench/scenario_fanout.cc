// fanout: N devices in one group; a backend sends group messages through the admin API
// (GroupSender), one per request or bursts of B per request, QoS 0 or 1. Measures deliveries
// per second, per second of kited CPU ("per server core"), and the latency from the POST to each
// member's receipt, in particular to the LAST member of each message: what a group send waits on.
// Both ends of a latency are this process's steady clock (the sender stamps the payload).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bench/common.h"
#include "bench/connector.h"
#include "bench/error_kind.h"
#include "bench/error_tally.h"
#include "bench/group_sender.h"
#include "bench/process_stats.h"

namespace kite::bench {
namespace {

// Receipts of one message across the group.
struct MessageReceipts {
  std::uint32_t received = 0;
  std::uint64_t slowest_us = 0;  // latency to the member that got it last so far
};

struct Counts {
  std::uint64_t delivered = 0, sent = 0, completed = 0;
  double server_cpu = 0;
};

}  // namespace

int run_fanout(const BenchOptions& options) {
  sockaddr_storage target{};
  if (auto error = target_address(options, target); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  ClientLoop loop(client_config());
  if (auto error = use_tls(options, loop); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  GroupSender sender(options);
  std::vector<MessageReceipts> receipts;
  Histogram every_member, last_member;
  Counts now_counts, at_start;
  std::uint64_t first_measured = 0;
  ErrorTally errors;
  std::int64_t last_receipt_ns = 0;
  bool measuring = false, done = false;

  ClientEvents events;
  Connector connector(options, loop, target, events);
  events.opened = [&](BenchClient&) {
    connector.opened();
    if (connector.opened_count() < options.devices) return;
    std::vector<std::string> members;
    for (std::uint32_t i = 0; i < options.devices; ++i)
      members.push_back(device_identity(options, i).id);
    fmt::print(stderr, "kite bench: {} devices connected; {} group \"{}\"\n", options.devices,
               options.join ? "joining them to" : "sending to", options.group);
    sender.start(std::move(members));
  };
  events.message = [&](BenchClient&, const protocol::IncomingMessage& m) {
    if (m.payload.size() < kFanoutStampBytes) return;
    std::int64_t stamp = 0;
    std::uint64_t index = 0;
    std::memcpy(&stamp, m.payload.data(), sizeof stamp);
    std::memcpy(&index, m.payload.data() + sizeof stamp, sizeof index);
    const auto latency_us =
        static_cast<std::uint64_t>(std::max<std::int64_t>((steady_ns() - stamp) / 1000, 0));
    ++now_counts.delivered;
    last_receipt_ns = steady_ns();
    if (measuring) every_member.record(latency_us);
    if (index >= receipts.size()) receipts.resize(index + 1024);
    MessageReceipts& r = receipts[index];
    r.slowest_us = std::max(r.slowest_us, latency_us);
    if (++r.received != options.devices) return;
    ++now_counts.completed;
    if (measuring && index >= first_measured) last_member.record(r.slowest_us);
    sender.completed();
  };
  events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (done) return;
    const std::string kind = close_kind(c, info);
    errors.add(kind);
    say_failure(options, errors.total(), c.id(), kind, info.message);
    if (!c.connected_once()) {
      fmt::print(stderr, "kite bench: a device could not connect; stopping\n");
      done = true;
      loop.stop();
    }
  };

  std::int64_t phase_started = 0;
  double measured_seconds = 0;
  std::uint64_t last_delivered = 0;
  const auto finish = [&] {
    done = true;
    sender.stop();
    loop.stop();
  };
  loop.every(1000, [&] {
    if (done) return;
    if (!sender.error().empty()) {
      fmt::print(stderr, "kite bench: {}\n", sender.error());
      errors.add(sender.error_kind());
      return finish();
    }
    if (!sender.joined()) {
      fmt::print(stderr, "kite bench: {}/{} devices connected{}\n", connector.opened_count(),
                 options.devices,
                 connector.opened_count() == options.devices ? ", joining the group" : "");
      return;
    }
    const std::int64_t now = steady_ns();
    if (phase_started == 0) phase_started = now;
    const double phase = static_cast<double>(now - phase_started) / 1e9;
    fmt::print(stderr, "kite bench: {:8.0f} deliveries/s, {} messages sent{}\n",
               static_cast<double>(now_counts.delivered - last_delivered), sender.sent(),
               measuring ? ", last member " + latency_line(last_member) : " (warm-up)");
    last_delivered = now_counts.delivered;
    const bool all_sent = sender.finished() && now_counts.completed >= sender.sent();
    if (!measuring && (options.messages != 0 || phase >= options.warmup)) {
      measuring = true;
      phase_started = now;
      first_measured = sender.sent();
      at_start = now_counts;
      at_start.sent = first_measured;
      if (options.server_pid) at_start.server_cpu = cpu_seconds(options.server_pid).value_or(0);
      sender.release();
    } else if (measuring && (phase >= options.seconds || all_sent)) {
      // A counted run ends with its last receipt, not with this tick.
      measured_seconds =
          all_sent ? static_cast<double>(last_receipt_ns - phase_started) / 1e9 : phase;
      now_counts.sent = sender.sent();
      if (options.server_pid) now_counts.server_cpu = cpu_seconds(options.server_pid).value_or(0);
      finish();
    }
  });
  connector.more();
  loop.run();
  sender.stop();

  const std::uint64_t delivered = now_counts.delivered - at_start.delivered;
  const std::uint64_t sent = now_counts.sent - at_start.sent;
  const std::uint64_t expected = sent * options.devices;
  const double rate = measured_seconds > 0 ? static_cast<double>(delivered) / measured_seconds : 0;
  const double cpu = now_counts.server_cpu - at_start.server_cpu;
  const double per_core = cpu > 0 ? static_cast<double>(delivered) / cpu : 0;
  const std::uint64_t incomplete = sender.given_up();
  if (options.json) {
    fmt::print(
        R"({{"scenario":"fanout","devices":{},"qos":{},"burst":{},"window":{},"payload":{},)"
        R"("seconds":{:.2f},"messages_sent":{},"deliveries":{},"deliveries_expected":{},)"
        R"("deliveries_per_s":{:.0f},"server_cpu_s":{:.3f},"deliveries_per_server_core_s":{:.0f},)"
        R"("incomplete_messages":{},"failures":{},"latency_every_member":{},)"
        R"("latency_last_member":{},"errors":{}}})"
        "\n",
        options.devices, options.qos, options.burst, options.window, options.payload,
        measured_seconds, sent, delivered, expected, rate, cpu, per_core, incomplete,
        errors.total(), latency_json(every_member), latency_json(last_member),
        errors.json().dump());
  } else {
    fmt::print(
        "fanout: {} members, QoS {}, {} message(s) per request, window {}: {:.0f} "
        "deliveries/s over {:.2f} s ({} messages, {} of {} deliveries)\n",
        options.devices, options.qos, options.burst, options.window, rate, measured_seconds, sent,
        delivered, expected);
    if (cpu > 0)
      fmt::print("     server CPU {:.2f} s: {:.0f} deliveries per server core-second\n", cpu,
                 per_core);
    fmt::print("     latency, every member: {}\n     latency, last member:  {}\n",
               latency_line(every_member), latency_line(last_member));
    fmt::print("     incomplete messages (not received by every member within 5 s) {}\n{}",
               incomplete, errors.text("     "));
  }
  return errors.empty() && delivered > 0 ? 0 : 1;
}

}  // namespace kite::bench
