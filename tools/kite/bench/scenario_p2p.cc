// p2p: a backend (service connection) sends QoS 1 messages to random devices among N connected
// ones, keeping `window` messages in flight end to end (sent by the service, not yet received by
// a device), optionally paced at `rate`. Latency is from the service's send to the device's
// receipt (both clocks are this process's steady clock, carried in the payload).
#include <fmt/format.h>

#include <cstring>
#include <random>

#include "bench/common.h"
#include "bench/process_stats.h"

namespace kite::bench {

int run_p2p(const BenchOptions& options) {
  sockaddr_storage target{};
  if (auto error = target_address(options, target); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }
  auto config = client_config();
  config.receive_window = 256;  // the service's downlink is unused; devices take what they get
  ClientLoop loop(config);
  if (auto error = use_tls(options, loop); !error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", error);
    return 2;
  }

  std::uint64_t sent = 0, delivered = 0, failures = 0;
  std::uint64_t in_flight = 0;
  std::uint32_t devices_open = 0;
  bool service_open = false, measuring = false, done = false;
  Histogram latency;
  std::mt19937 rng(42);
  std::vector<std::uint8_t> payload(std::max<std::uint32_t>(options.payload, 8), 0x5a);
  double tokens = 0;
  BenchClient* service = nullptr;
  std::vector<std::string> device_ids;
  for (std::uint32_t i = 0; i < options.devices; ++i)
    device_ids.push_back(device_identity(options, i).id);

  auto pump = [&] {
    if (!service_open || done) return;
    auto& session = service->session();
    while (in_flight < options.window && session.send_credit() > 0 &&
           (options.rate == 0 || tokens >= 1)) {
      std::int64_t stamp = steady_ns();
      std::memcpy(payload.data(), &stamp, sizeof stamp);
      const std::string& device = device_ids[rng() % options.devices];
      protocol::OutgoingMessage message;
      message.payload = payload;
      message.qos = protocol::Qos::AtLeastOnce;
      message.target = device;
      if (session.publish(message, loop.now()) != protocol::SendStatus::Sent) break;
      ++sent;
      ++in_flight;
      if (options.rate != 0) tokens -= 1;
    }
    loop.mark_dirty(*service);
  };

  ClientEvents device_events;
  ClientEvents service_events;
  std::uint32_t next_device = 0;
  auto connect_more = [&] {
    while (next_device < options.devices && next_device - devices_open < options.concurrency) {
      auto& c = loop.add(device_identity(options, next_device), target,
                         source_address(options, next_device), &device_events);
      ++next_device;
      c.connect();
    }
    if (next_device == options.devices && devices_open == options.devices && !service) {
      service = &loop.add(service_identity(options), target, {}, &service_events);
      service->connect();
    }
  };
  device_events.opened = [&](BenchClient&) {
    ++devices_open;
    connect_more();
  };
  device_events.message = [&](BenchClient&, const protocol::IncomingMessage& m) {
    std::int64_t stamp = 0;
    if (m.payload.size() >= sizeof stamp) std::memcpy(&stamp, m.payload.data(), sizeof stamp);
    ++delivered;
    if (in_flight > 0) --in_flight;
    if (measuring) latency.record(static_cast<std::uint64_t>((steady_ns() - stamp) / 1000));
    pump();
  };
  device_events.closed = [&](BenchClient& c, const protocol::CloseInfo& info) {
    if (done) return;
    ++failures;
    fmt::print(stderr, "kite bench: {} closed: {} {}\n", c.id(), protocol::reason_name(info.reason),
               info.message);
    if (!c.connected_once()) {  // the run cannot be what was asked: stop rather than hang
      fmt::print(stderr, "kite bench: a device could not connect; stopping\n");
      done = true;
      loop.stop();
    }
  };
  service_events.opened = [&](BenchClient&) {
    service_open = true;
    fmt::print(stderr, "kite bench: {} devices and the service connected; warming up {} s\n",
               devices_open, options.warmup);
    pump();
  };
  service_events.writable = [&](BenchClient&) { pump(); };
  service_events.closed = [&](BenchClient&, const protocol::CloseInfo& info) {
    if (!done) {
      ++failures;
      fmt::print(stderr, "kite bench: service closed: {} {}\n", protocol::reason_name(info.reason),
                 info.message);
      done = true;
      loop.stop();
    }
  };

  // Measurement window bookkeeping.
  std::int64_t phase_started = 0;
  std::uint64_t delivered_at_start = 0;
  double server_cpu_at_start = 0;
  double elapsed_in_phase = 0;
  std::uint64_t last_delivered = 0;
  // Refilled by the time that really passed: a busy loop fires a 1 ms timer less often than
  // every millisecond, and counting ticks instead would send below the asked rate.
  std::int64_t refilled_at = steady_ns();
  if (options.rate > 0) {
    loop.every(1, [&] {
      const std::int64_t now = steady_ns();
      const double elapsed_s = static_cast<double>(now - refilled_at) / 1e9;
      refilled_at = now;
      tokens = std::min(tokens + options.rate * elapsed_s, std::max(1.0, options.rate / 100.0));
      pump();
    });
  }
  loop.every(1000, [&] {
    if (!service_open) {
      fmt::print(stderr, "kite bench: connecting: {}/{} devices\n", devices_open, options.devices);
      return;
    }
    std::int64_t now = steady_ns();
    if (phase_started == 0) phase_started = now;
    double phase = static_cast<double>(now - phase_started) / 1e9;
    fmt::print(stderr, "kite bench: {:5.0f} msgs/s delivered, {} in flight{}\n",
               static_cast<double>(delivered - last_delivered), in_flight,
               measuring ? ", " + latency_line(latency) : " (warm-up)");
    last_delivered = delivered;
    if (!measuring && phase >= options.warmup) {
      measuring = true;
      phase_started = now;
      delivered_at_start = delivered;
      if (options.server_pid) server_cpu_at_start = cpu_seconds(options.server_pid).value_or(0);
    } else if (measuring && phase >= options.seconds) {
      elapsed_in_phase = phase;
      done = true;
      loop.stop();
    }
  });
  connect_more();
  loop.run();

  std::uint64_t measured = delivered - delivered_at_start;
  double rate = elapsed_in_phase > 0 ? static_cast<double>(measured) / elapsed_in_phase : 0;
  double server_cpu = 0;
  if (options.server_pid)
    server_cpu = cpu_seconds(options.server_pid).value_or(0) - server_cpu_at_start;
  double per_core = server_cpu > 0 ? static_cast<double>(measured) / server_cpu : 0;
  if (options.json) {
    fmt::print(
        R"({{"scenario":"p2p","devices":{},"window":{},"rate":{},"payload":{},"seconds":{:.2f},)"
        R"("delivered":{},"msgs_per_s":{:.0f},"server_cpu_s":{:.3f},"msgs_per_server_core_s":{:.0f},)"
        R"("failures":{},"latency":{}}})"
        "\n",
        options.devices, options.window, options.rate, options.payload, elapsed_in_phase, measured,
        rate, server_cpu, per_core, failures, latency_json(latency));
  } else {
    fmt::print("p2p: {} devices, window {}, {}: {:.0f} msgs/s delivered over {:.1f} s\n",
               options.devices, options.window,
               options.rate > 0 ? fmt::format("paced at {:.0f}/s", options.rate) : "unpaced", rate,
               elapsed_in_phase);
    if (server_cpu > 0)
      fmt::print("     server CPU {:.2f} s: {:.0f} msgs per server core-second\n", server_cpu,
                 per_core);
    fmt::print("     latency {}\n     failures {}\n", latency_line(latency), failures);
  }
  return failures == 0 && measured > 0 ? 0 : 1;
}

}  // namespace kite::bench
