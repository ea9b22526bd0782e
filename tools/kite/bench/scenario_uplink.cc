// uplink: every device publishes QoS 1 messages to kited (device to server), --rate messages/s
// in all (0: as fast as kited's credit allows, session.receive_window messages in flight per
// device), --payload bytes each. Measures the messages kited acknowledges per second (and per
// server core), the latency from the publish to kited's Ack, and the errors.
//
// What kited does with each (server/core/connection.cc, on_message): counts it, charges the
// device's uplink token bucket (session.uplink_rate_per_s, 100/s by default, burst
// session.uplink_burst: over it kited stops reading the socket, so the bench measures the limit,
// not kited, unless kited runs with a higher rate), records an "uplink" event for GET /v1/events
// (events.types), stores the seq for de-duplication, and acknowledges it: at once every 16
// messages, else after 20 ms, which a light load sees in its latency.
#include <fmt/format.h>

#include <deque>

#include "bench/common.h"
#include "bench/connector.h"
#include "bench/error_kind.h"
#include "bench/flow_progress.h"
#include "bench/process_stats.h"
#include "bench/rate_pacer.h"
#include "bench/run_link.h"
#include "bench/scenarios.h"

namespace kite::bench {
namespace {

// A message still unacknowledged this long before the end counts as timeout:ack.
constexpr std::int64_t kAckTimeoutNs = 5'000'000'000;

struct Unacked {
  std::uint64_t seq;
  std::int64_t sent_ns;
};

}  // namespace

RunReport measure_uplink(const BenchOptions& options) {
  RunReport report;
  report.devices = options.devices;
  ClientLoop loop(client_config());
  sockaddr_storage target{};
  report.setup_error = prepare_connections(options, loop, target);
  if (!report.setup_error.empty()) return report;
  auto link = make_run_link(Scenario::Uplink, options, loop);
  const auto server_cpu = [&] {
    return options.server_pid ? cpu_seconds(options.server_pid).value_or(0) : 0;
  };

  // Per device (a client's index is its device's: the Connector adds them in order).
  std::vector<std::deque<Unacked>> unacked(options.devices);
  std::uint64_t sent = 0, acked = 0, in_flight = 0, sent_at_start = 0, acked_at_start = 0;
  Phase phase = Phase::Connecting;
  bool done = false;
  const std::vector<std::uint8_t> payload(options.payload, 0x5a);
  double tokens = 0;
  std::size_t next_in_turn = 0;

  const auto finish = [&] {
    done = true;
    loop.stop();
  };
  const auto sending = [&] { return !done && phase >= Phase::Warmup; };
  const auto publish_one = [&](BenchClient& c) {
    protocol::OutgoingMessage message;
    message.payload = payload;
    message.qos = protocol::Qos::AtLeastOnce;
    std::uint64_t seq = 0;
    if (c.session().publish(message, loop.now(), &seq) != protocol::SendStatus::Sent) return false;
    unacked[c.index()].push_back({seq, steady_ns()});
    ++sent;
    ++in_flight;
    loop.mark_dirty(c);
    return true;
  };
  const auto has_credit = [](BenchClient& c) {
    return c.is_open() && c.session().send_credit() > 0;
  };
  // Unpaced: a device sends as long as kited gives it credit.
  const auto fill = [&](BenchClient& c) {
    if (!sending() || options.rate > 0) return;
    while (has_credit(c) && publish_one(c)) {
    }
  };
  // Paced: the tokens go to the devices in turn, passing over those without credit.
  const auto spend_tokens = [&] {
    if (!sending() || loop.size() == 0) return;
    for (std::size_t passed = 0; tokens >= 1 && passed < loop.size();) {
      BenchClient& c = loop.client(next_in_turn);
      next_in_turn = (next_in_turn + 1) % loop.size();
      if (has_credit(c) && publish_one(c)) {
        tokens -= 1;
        passed = 0;
      } else {
        ++passed;
      }
    }
  };
  const auto end_measuring = [&] {
    report.ended_ns = steady_ns();
    report.server_cpu_at_end = server_cpu();
    std::uint64_t overdue = 0;
    for (const auto& device : unacked)
      for (const Unacked& u : device) overdue += u.sent_ns < report.ended_ns - kAckTimeoutNs;
    report.errors.add("timeout:ack", overdue);
    finish();
  };
  const auto begin_measuring = [&] {
    phase = Phase::Measuring;
    report.started_ns = steady_ns();
    report.server_cpu_at_start = server_cpu();
    sent_at_start = sent;
    acked_at_start = acked;
    loop.after(static_cast<std::uint64_t>(options.seconds * 1000), end_measuring);
  };

  ClientEvents events;
  Connector connector(options, loop, target, events);
  // Devices that could not connect are counted; the others run (none: nothing to measure).
  const auto start_when_settled = [&] {
    if (phase != Phase::Connecting || !connector.settled()) return;
    if (connector.opened_count() == 0) return finish();
    phase = Phase::Ready;
    link->ready([&] {
      phase = Phase::Warmup;
      loop.after(static_cast<std::uint64_t>(options.warmup * 1000), begin_measuring);
      for (std::size_t i = 0; i < loop.size(); ++i) fill(loop.client(i));
    });
  };
  events.opened = [&](BenchClient&) {
    connector.opened();
    start_when_settled();
  };
  events.acked = [&](BenchClient& c, std::uint64_t seq) {
    auto& waiting = unacked[c.index()];
    const std::int64_t now = steady_ns();
    for (; !waiting.empty() && waiting.front().seq <= seq; waiting.pop_front()) {
      if (phase == Phase::Measuring)
        report.latency.record(static_cast<std::uint64_t>((now - waiting.front().sent_ns) / 1000));
      ++acked;
      --in_flight;
    }
    fill(c);
  };
  events.writable = [&](BenchClient& c) { fill(c); };
  events.error = [&](BenchClient& c, protocol::Reason reason, std::uint64_t ref) {
    const std::string kind = error_frame_kind(reason);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), c.id(), kind, "");
    auto& waiting = unacked[c.index()];
    std::erase_if(waiting, [&](const Unacked& u) { return u.seq == ref; });
  };
  events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (done) return;
    const std::string kind = close_kind(c, info);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), c.id(), kind, info.message);
    in_flight -= unacked[c.index()].size();
    unacked[c.index()].clear();
    if (c.connected_once()) return;
    connector.failed();
    start_when_settled();
  };

  pace_at_rate(loop, options.rate, tokens, sending, spend_tokens);
  send_flow_progress(loop, *link, options, {phase, connector, acked, in_flight, report});
  connector.more();
  loop.run();

  report.connected = connector.opened_count();
  if (report.ended_ns != 0) {
    report.count = acked - acked_at_start;
    report.sent = sent - sent_at_start;
  }
  return report;
}

}  // namespace kite::bench
