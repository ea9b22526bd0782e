#include "replay/replay_run.h"

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>

#include "kite/tls/context.h"
#include "raw_client/client_loop.h"

namespace kite::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) {
  interrupted = 1;
}

std::string use_tls(const ReplaySettings& s, bench::ClientLoop& loop) {
  if (!s.tls.enabled) return {};
  tls::TlsSettings settings;
  settings.role = tls::Role::Client;
  settings.ca_file = s.tls.ca_file;
  settings.server_name = s.tls.server_name.empty() ? s.host : s.tls.server_name;
  settings.min_version = tls::parse_tls_version(s.tls.min_version).value_or(tls::TlsVersion::V1_3);
  auto created = tls::TlsContext::create(settings);
  if (!created.context) return "tls: " + created.error;
  loop.use_tls(std::move(created.context));
  return {};
}

void print_progress(std::uint64_t run, std::uint64_t loops,
                    const std::vector<DeviceReplay>& devices,
                    const std::vector<DeviceReport>& reports) {
  std::uint64_t open = 0, sent = 0, received = 0, acks = 0;
  for (const auto& d : devices) open += d.is_open() ? 1 : 0;
  for (const auto& r : reports) sent += r.sent, received += r.received, acks += r.acks;
  // Not `"/" + std::to_string(...)`: GCC 12 at -O3 warns about it (-Wrestrict, a false positive).
  const std::string of =
      loops == 0 ? std::string() : std::string("/").append(std::to_string(loops));
  std::fprintf(stderr,
               "kite replay: run %llu%s: %llu/%zu devices connected, %llu sent, %llu received, "
               "%llu acks\n",
               static_cast<unsigned long long>(run), of.c_str(),
               static_cast<unsigned long long>(open), devices.size(),
               static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
               static_cast<unsigned long long>(acks));
}

// One run: a session per plan, until all are done (or SIGINT). Returns false if TLS failed.
bool run_once(const ReplaySettings& s, const ReplayKeys& keys, std::uint64_t run,
              std::vector<DeviceReport>& reports, std::string& error) {
  protocol::SessionConfig config;
  config.dictionaries = s.dictionaries;
  bench::ClientLoop loop{std::move(config)};
  if (error = use_tls(s, loop); !error.empty()) return false;
  std::vector<DeviceReplay> devices;
  devices.reserve(s.plans.size());
  for (std::size_t i = 0; i < s.plans.size(); ++i)
    devices.emplace_back(s.plans[i], s.pace, reports[i]);

  // Client index (the order clients are added) -> plan index.
  std::vector<std::size_t> plan_of;
  bench::ClientEvents events;
  auto device = [&](bench::BenchClient& c) -> DeviceReplay& { return devices[plan_of[c.index()]]; };
  events.opened = [&](bench::BenchClient& c) { device(c).opened(uv_hrtime()); };
  events.message = [&](bench::BenchClient& c, const protocol::IncomingMessage&) {
    device(c).received();
  };
  events.acked = [&](bench::BenchClient& c, std::uint64_t seq) {
    device(c).acked(seq, uv_hrtime());
  };
  events.error = [&](bench::BenchClient& c, protocol::Reason reason, std::uint64_t) {
    device(c).error(reason);
  };
  events.closed = [&](bench::BenchClient& c, const protocol::CloseInfo& info) {
    device(c).closed(info);
  };
  auto start = [&](std::size_t i) {
    bench::Identity identity;
    identity.id = s.plans[i].device_id;
    identity.key = *keys.key_for(identity.id);
    plan_of.push_back(i);
    devices[i].start(loop, loop.add(std::move(identity), s.target, "", &events));
  };

  // Connections of one device run one after another, in capture order: at once, each would
  // replace the one before (kited keeps one session per device).
  std::map<std::string, std::deque<std::size_t>> queues;
  for (std::size_t i = 0; i < s.plans.size(); ++i) queues[s.plans[i].device_id].push_back(i);
  for (auto& [id, queue] : queues) start(queue.front());

  bool stopped = false;
  // 1 ms: the pacing's resolution; each pump is cheap when nothing is due.
  loop.every(1, [&] {
    if (stopped) return;
    const std::uint64_t now = uv_hrtime();
    bool all_finished = true;
    for (auto& d : devices) {
      if (interrupted) d.stop();
      d.pump(now);
    }
    for (auto& [id, queue] : queues) {
      if (!queue.empty() && devices[queue.front()].finished()) {
        queue.pop_front();
        if (interrupted) queue.clear();  // the rest of this device's connections never start
        if (!queue.empty()) start(queue.front());
      }
      all_finished = all_finished && queue.empty();
    }
    if (all_finished) {
      stopped = true;
      loop.stop();
    }
  });
  if (s.progress) loop.every(1000, [&] { print_progress(run, s.loops, devices, reports); });
  loop.run();
  return true;
}

}  // namespace

std::vector<DeviceReport> run_replay(const ReplaySettings& s, const ReplayKeys& keys,
                                     std::string& error) {
  std::vector<DeviceReport> reports(s.plans.size());
  for (std::size_t i = 0; i < s.plans.size(); ++i) {
    const DevicePlan& plan = s.plans[i];
    reports[i].connection = plan.connection;
    reports[i].device_id = plan.device_id;
    reports[i].captured_uplink = plan.captured_uplink;
    reports[i].captured_downlink = plan.captured_downlink;
    reports[i].captured_acks = plan.captured_acks;
  }
  interrupted = 0;
  auto previous = std::signal(SIGINT, on_interrupt);
  for (std::uint64_t run = 1; (s.loops == 0 || run <= s.loops) && !interrupted; ++run)
    if (!run_once(s, keys, run, reports, error)) break;
  std::signal(SIGINT, previous);
  return reports;
}

}  // namespace kite::cli
