// p2p: a backend (service connection, or with --http the admin API: http_sender.h) sends QoS 1
// messages to random devices among N connected ones, keeping `window` messages in flight end to
// end (sent by the service, not yet received by a device), optionally paced at `rate`. Latency is
// from the service's send to the device's receipt (both clocks are this process's steady clock,
// carried in the payload). With
// --processes, each child runs its own service connection to its own devices.
#include <fmt/format.h>

#include <cstring>
#include <random>

#include "bench/common.h"
#include "bench/connector.h"
#include "bench/error_kind.h"
#include "bench/flow_progress.h"
#include "bench/http_sender.h"
#include "bench/process_stats.h"
#include "bench/rate_pacer.h"
#include "bench/run_link.h"
#include "bench/scenarios.h"

namespace kite::bench {

RunReport measure_p2p(const BenchOptions& options) {
  RunReport report;
  report.devices = options.devices;
  auto config = client_config();
  config.receive_window = 256;  // the service's downlink is unused; devices take what they get
  ClientLoop loop(config);
  sockaddr_storage target{};
  report.setup_error = prepare_connections(options, loop, target);
  if (!report.setup_error.empty()) return report;
  auto link = make_run_link(Scenario::P2p, options, loop);
  const std::string who = speaker(options);
  const auto server_cpu = [&] {
    return options.server_pid ? cpu_seconds(options.server_pid).value_or(0) : 0;
  };

  std::uint64_t sent = 0, delivered = 0, in_flight = 0;
  std::uint64_t sent_at_start = 0, delivered_at_start = 0;
  Phase phase = Phase::Connecting;
  bool done = false;
  std::mt19937 rng(42 + options.child_index);
  std::vector<std::uint8_t> payload(std::max<std::uint32_t>(options.payload, 8), 0x5a);
  double tokens = 0;
  BenchClient* service = nullptr;
  std::vector<std::string> device_ids;
  for (std::uint32_t i = 0; i < options.devices; ++i)
    device_ids.push_back(device_identity(options, i).id);

  HttpSender http(options, device_ids);
  const auto finish = [&] {
    done = true;
    http.stop();
    loop.stop();
  };
  const auto pump = [&] {
    if (done || phase < Phase::Warmup || !service || !service->is_open()) return;
    auto& session = service->session();
    while (in_flight < options.window && session.send_credit() > 0 &&
           (options.rate == 0 || tokens >= 1)) {
      std::int64_t stamp = steady_ns();
      std::memcpy(payload.data(), &stamp, sizeof stamp);
      protocol::OutgoingMessage message;
      message.payload = payload;
      message.qos = protocol::Qos::AtLeastOnce;
      message.target = device_ids[rng() % options.devices];
      if (session.publish(message, loop.now()) != protocol::SendStatus::Sent) break;
      ++sent;
      ++in_flight;
      if (options.rate != 0) tokens -= 1;
    }
    loop.mark_dirty(*service);
  };
  const auto begin_measuring = [&] {
    phase = Phase::Measuring;
    report.started_ns = steady_ns();
    report.server_cpu_at_start = server_cpu();
    sent_at_start = options.http_senders ? http.sent() : sent;
    delivered_at_start = delivered;
    loop.after(static_cast<std::uint64_t>(options.seconds * 1000), [&] {
      report.ended_ns = steady_ns();
      report.server_cpu_at_end = server_cpu();
      finish();
    });
  };

  ClientEvents device_events, service_events;
  Connector connector(options, loop, target, device_events);
  device_events.opened = [&](BenchClient&) {
    connector.opened();
    if (!connector.settled()) return;
    if (options.http_senders == 0) {
      service = &loop.add(service_identity(options), target, {}, &service_events);
      return service->connect();
    }
    phase = Phase::Ready;
    link->ready([&] {
      phase = Phase::Warmup;
      loop.after(static_cast<std::uint64_t>(options.warmup * 1000), begin_measuring);
      http.start();
    });
  };
  device_events.message = [&](BenchClient&, const protocol::IncomingMessage& m) {
    std::int64_t stamp = 0;
    if (m.payload.size() >= sizeof stamp) std::memcpy(&stamp, m.payload.data(), sizeof stamp);
    ++delivered;
    if (in_flight > 0) --in_flight;
    if (options.http_senders != 0) http.completed();
    if (phase == Phase::Measuring)
      report.latency.record(static_cast<std::uint64_t>((steady_ns() - stamp) / 1000));
    pump();
  };
  device_events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (done) return;
    const std::string kind = close_kind(c, info);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), c.id(), kind, info.message);
    if (!c.connected_once()) {  // the run cannot be what was asked: stop rather than hang
      fmt::print(stderr, "{}: a device could not connect; stopping\n", who);
      finish();
    }
  };
  service_events.opened = [&](BenchClient&) {
    phase = Phase::Ready;
    link->ready([&] {
      phase = Phase::Warmup;
      loop.after(static_cast<std::uint64_t>(options.warmup * 1000), begin_measuring);
      pump();
    });
  };
  service_events.writable = [&](BenchClient&) { pump(); };
  // kited refused one message (NotFound: no such device...): it will not arrive.
  service_events.error = [&](BenchClient&, protocol::Reason reason, std::uint64_t) {
    const std::string kind = error_frame_kind(reason);
    report.errors.add(kind);
    say_failure(options, report.errors.total(), "the service", kind, "");
    if (in_flight > 0) --in_flight;
    pump();
  };
  service_events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (done) return;
    const std::string kind = close_kind(c, info);
    report.errors.add(kind);
    fmt::print(stderr, "{}: the service connection closed: {} ({}); stopping\n", who, kind,
               info.message);
    finish();
  };

  // The tokens are counted from the start; pump() spends them once the warm-up has begun.
  const auto always = [] { return true; };
  pace_at_rate(loop, options.rate, tokens, always, pump);
  if (options.http_senders != 0)
    loop.every(100, [&] {  // a request not answered 202 ends the run
      if (done || !http.failed()) return;
      report.errors.add(http.error_kind());
      fmt::print(stderr, "{}: {}; stopping\n", who, http.error());
      finish();
    });
  send_flow_progress(loop, *link, options, {phase, connector, delivered, in_flight, report});
  connector.more();
  loop.run();

  report.connected = connector.opened_count();
  if (report.ended_ns != 0) {
    report.count = delivered - delivered_at_start;
    report.sent = (options.http_senders ? http.sent() : sent) - sent_at_start;
  }
  return report;
}

}  // namespace kite::bench
