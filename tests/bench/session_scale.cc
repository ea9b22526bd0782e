// What 1,000,000 authenticated, idle device connections cost kited in memory and in timer work,
// without sockets (this machine allows 20,000 open files; the simulation shows what one without
// that limit would hold).
//
// Per device, as kited does per accepted connection (server/core/connection.cc):
//   - a SimConnection: Connection's fields minus the uv_tcp_t (a SessionHandler and a WheelEntry,
//     embedding a server-role protocol::Session on the worker's shared SessionContext), created
//     with `new` and entered in the worker's connection slots (a vector of pointers);
//   - a real Hmac handshake, in memory: a client Session produces the hello and the auth, the
//     server Session decodes them (from an 8-aligned read buffer at read_offset_hint(), as the
//     worker's read buffer does), challenges with a random nonce, checks the proof, and accept()s
//     with the WelcomeParams kited builds; the client checks the server's proof, so both ends are
//     verified Open;
//   - a Route claimed in the Registry (device id -> route);
//   - the connection scheduled in the TimingWheel (10 ms x 4096 slots, as the worker's).
// The uv_tcp_t is not allocated: its size is added to the estimate separately.
//
// Then the wheel: (1) live devices (each pings every 30 s, so its 45 s deadline is always 15 to
// 45 s away and never fires): ticks that fire nothing; (2) a full keep-alive period in which
// every connection's deadline comes due once, spread over the 4500 ticks of 45 s: each firing runs
// what Connection::on_deadline runs (session.tick(now), then reschedule one period later).
//
// Usage: kite_session_scale [N] [--n N] [--id-len L] [--json]
#include <malloc.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/connection.h"
#include "core/registry.h"
#include "core/timing_wheel.h"
#include "kite/protocol/session.h"
#include "kite/protocol/session_context.h"
#include "session_scale_sim.h"

namespace {

using namespace kite::bench::scale;  // the simulated connections

long rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) * 1024;
  return -1;
}

long heap_bytes() {
  return static_cast<long>(mallinfo2().uordblks);
}

double elapsed_ns(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - since).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct TickStats {
  std::vector<double> ns;
  std::vector<std::uint32_t> fired;
};

struct Options {
  std::size_t n = 1'000'000;
  std::size_t id_length = 12;  // a MAC address in hex: fits std::string's 15-byte inline buffer
  bool json = false;
};

// False, after printing the usage, on an argument it does not know.
bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json")
      options.json = true;
    else if (arg == "--n" && i + 1 < argc)
      options.n = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--id-len" && i + 1 < argc)
      options.id_length = std::strtoull(argv[++i], nullptr, 10);
    else if (!arg.empty() && arg[0] != '-')
      options.n = std::strtoull(arg.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [N] [--n N] [--id-len L] [--json]\n", argv[0]);
      return false;
    }
  }
  return true;
}

// What the run measured, filled in phase by phase, for the report.
struct Figures {
  std::size_t n = 0, id_length = 0;
  // Setup: the N connections and their handshakes, and the process's memory before and after.
  std::size_t failed = 0, open = 0;
  double setup_s = 0;
  long rss_before = 0, rss_after = 0, heap_before = 0, heap_after = 0;
  // The parts, costed apart.
  std::size_t connection_chunk = 0;
  long registry_bytes = 0, map_bytes = 0;
  long session_heap = 0;  // heap the Session itself holds once open (beyond its inline bytes)
  // The wheel: (1) live devices, (2) a full keep-alive period.
  std::vector<double> visit_ticks, empty_ticks;
  TickStats period;
  double period_wall_ns = 0, period_sum_ns = 0, firing_per_tick = 0;
  std::vector<double> firing_ticks;
  std::uint64_t fired_period = 0, closed = 0;
};

Sim* new_sim() {
  auto* sim = new Sim;  // never freed: the process ends with it
  for (std::size_t i = 0; i < sim->master_key.size(); ++i) {
    sim->master_key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    sim->resume_secret[i] = static_cast<std::uint8_t>(i * 13 + 5);
  }
  return sim;
}

// One handshake beforehand grows the shared encoder/decoder buffers, so that their growth is not
// counted per session.
void warm_shared_buffers(Sim& sim, protocol::SessionContext& client_context,
                         std::size_t id_length) {
  auto* warm = new SimConnection(sim, 1, kOpenedAt);
  handshake(sim, client_context, *warm, device_id(0xffffffffff, id_length));
  sim.wheel.cancel(*warm);
  sim.registry.release(
      warm->session_.device_id(),
      Route{.connection = 1, .since_ms = 0, .worker = 0, .tls = false, .address = {}});
}

// Creates and handshakes the N connections, as the worker accepts them, into `all`; measures the
// time it takes and the memory it adds.
void connect_all(Sim& sim, protocol::SessionContext& client_context,
                 std::vector<SimConnection*>& connections, std::vector<SimConnection*>& all,
                 Figures& f) {
  malloc_trim(0);
  f.rss_before = rss_bytes();
  f.heap_before = heap_bytes();

  auto start = std::chrono::steady_clock::now();
  std::uint64_t next_id = std::uint64_t{1} << 40;
  for (std::size_t i = 0; i < f.n; ++i) {
    std::uint64_t id = next_id++;
    auto* c = new SimConnection(sim, id, kOpenedAt);
    connections.push_back(c);
    c->ip_ = ip_of(i);
    c->counted_unauthenticated_ = true;
    c->after_session_call();  // the handshake deadline
    if (!handshake(sim, client_context, *c, device_id(i, f.id_length))) ++f.failed;
    all[i] = c;
  }
  f.setup_s = elapsed_ns(start) / 1e9;
  f.rss_after = rss_bytes();
  f.heap_after = heap_bytes();
}

// The parts, rebuilt alone with the same keys: what the registry and the worker's map cost.
void measure_parts(const std::vector<SimConnection*>& all, Figures& f) {
  for (auto* c : all) f.open += c->session_.is_open() && c->scheduled();
  f.connection_chunk = malloc_usable_size(all[0]) + sizeof(std::size_t);

  long heap_mark = heap_bytes();
  auto* registry_copy = new Registry;
  for (auto* c : all)
    registry_copy->claim(c->session_.device_id(), Route{.connection = c->id_,
                                                        .since_ms = 1'700'000'000'000,
                                                        .worker = 0,
                                                        .tls = false,
                                                        .address = c->ip_});
  f.registry_bytes = heap_bytes() - heap_mark;
  delete registry_copy;
  heap_mark = heap_bytes();
  auto* map_copy = new std::vector<SimConnection*>;  // grown like the worker's, by push_back
  for (auto* c : all) map_copy->push_back(c);
  f.map_bytes = heap_bytes() - heap_mark;
  delete map_copy;
  const auto& s = all[0]->session_;
  if (s.device_id().capacity() > 15) f.session_heap += static_cast<long>(s.device_id().capacity());
}

// Phase (2)'s totals: CPU over the period, and the ticks that fired something.
void summarize_period(Figures& f) {
  for (double v : f.period.ns) f.period_sum_ns += v;
  for (std::size_t i = 0; i < f.period.ns.size(); ++i)
    if (f.period.fired[i] > 0) {
      f.firing_ticks.push_back(f.period.ns[i]);
      f.firing_per_tick += f.period.fired[i];
    }
  f.firing_per_tick /= std::max<std::size_t>(f.firing_ticks.size(), 1);
}

// The wheel's two phases (see the top of this file), each tick timed.
void measure_wheel(TimingWheel& wheel, const std::vector<SimConnection*>& all, Figures& f) {
  const std::size_t n = all.size();
  std::uint64_t fired_total = 0;
  std::uint64_t closed = 0;
  bool reschedule_one_period = true;
  // `fire` captures these four by reference, as it always has: advance() takes a std::function,
  // built on every tick, and the tick figures include building it.
  auto fire = [&](WheelEntry& entry) {
    auto& c = static_cast<SimConnection&>(entry);
    ++fired_total;
    // Connection::on_deadline: the session's own checks (keep-alive, acks, handshake)...
    c.session_.tick(entry.deadline);
    if (c.closing_) {
      ++closed;
      return;
    }
    if (c.session_.has_output()) c.dirty = true;
    // ...then after_session_call's reschedule. A live device's ping has moved its deadline one
    // period on; the Session only learns that from received bytes, so the wheel is told directly.
    if (reschedule_one_period) wheel.schedule(entry, entry.deadline + kTimeout);
  };
  auto run_ticks = [&](Millis from, Millis to, TickStats& stats) {
    // The wheel timer fires at the end of each 10 ms slot (see the note on advance() in the
    // report: an earlier `now` leaves the rest of the slot for a whole turn).
    for (Millis t = from; t < to; t += kWheelTick) {
      std::uint64_t before = fired_total;
      auto t0 = std::chrono::steady_clock::now();
      wheel.advance(t + kWheelTick - 1, fire);
      stats.ns.push_back(elapsed_ns(t0));
      stats.fired.push_back(static_cast<std::uint32_t>(fired_total - before));
    }
  };

  // (1) Live devices: deadlines 15 to 45 s away, as after a ping. Ticks 0..4.04 s visit the
  // entries whose slot comes round before their deadline (45 s > one 40.96 s turn): N/3000 per
  // tick, the steady state of live devices. Ticks 4.05..15 s find empty slots.
  for (std::size_t i = 0; i < n; ++i)
    wheel.schedule(*all[i], 15'000 + static_cast<Millis>(splitmix(i) % 30'000));
  TickStats live;
  run_ticks(0, 15'000, live);
  std::uint64_t fired_live = fired_total;
  f.visit_ticks.assign(live.ns.begin(), live.ns.begin() + 404);
  f.empty_ticks.assign(live.ns.begin() + 420, live.ns.end());

  // (2) A full keep-alive period in which every deadline comes due once, spread over 45 s.
  for (std::size_t i = 0; i < n; ++i)
    wheel.schedule(*all[i], 15'000 + static_cast<Millis>(splitmix(i + n) % kTimeout));
  auto period_start = std::chrono::steady_clock::now();
  run_ticks(15'000, 15'000 + kTimeout, f.period);
  f.period_wall_ns = elapsed_ns(period_start);
  f.fired_period = fired_total - fired_live;
  f.closed = closed;
  summarize_period(f);
}

// The figures per session and per tick, as both reports give them.
struct Summary {
  double rss_per, heap_per, registry_per, map_per, est_per;
  double visit_median, empty_median, firing_median, per_fired, period_cpu, live_cpu;
};

Summary summarize(const Figures& f) {
  const auto n = static_cast<double>(f.n);
  Summary s;
  s.rss_per = static_cast<double>(f.rss_after - f.rss_before) / n;
  s.heap_per = static_cast<double>(f.heap_after - f.heap_before) / n;
  s.registry_per = static_cast<double>(f.registry_bytes) / n;
  s.map_per = static_cast<double>(f.map_bytes) / n;
  s.est_per = s.rss_per + static_cast<double>(sizeof(uv_tcp_t));
  s.visit_median = median(f.visit_ticks);
  s.empty_median = median(f.empty_ticks);
  s.firing_median = median(f.firing_ticks);
  s.per_fired = f.period_sum_ns / static_cast<double>(std::max<std::uint64_t>(f.fired_period, 1));
  s.period_cpu = f.period_sum_ns / (static_cast<double>(kTimeout) * 1e6) * 100;
  s.live_cpu = s.visit_median / (static_cast<double>(kWheelTick) * 1e6) * 100;
  return s;
}

void print_json(const Figures& f, const Summary& s) {
  std::printf(
      "{\"n\":%zu,\"id_length\":%zu,\"handshakes_failed\":%zu,\"open_and_scheduled\":%zu,"
      "\"setup_s\":%.2f,\"rss_bytes_per_session\":%.1f,\"heap_bytes_per_session\":%.1f,"
      "\"sizeof_uv_tcp_t\":%zu,\"estimated_rss_per_connection\":%.1f,"
      "\"sizeof_session\":%zu,\"sizeof_sim_connection\":%zu,\"sizeof_connection\":%zu,"
      "\"connection_malloc_chunk\":%zu,\"registry_heap_per_device\":%.1f,"
      "\"worker_map_heap_per_connection\":%.1f,\"session_extra_heap\":%ld,"
      "\"sizeof_wheel_entry\":%zu,\"sizeof_route\":%zu,"
      "\"tick_empty_ns\":%.0f,\"tick_live_ns\":%.0f,\"live_visits_per_tick\":%.0f,"
      "\"live_cpu_percent\":%.3f,\"tick_firing_ns\":%.0f,\"fired_per_tick\":%.1f,"
      "\"ns_per_fired\":%.1f,\"period_ticks\":%zu,\"period_fired\":%" PRIu64
      ",\"period_tick_ns_sum\":%.0f,\"period_wall_ns\":%.0f,\"period_cpu_percent\":%.3f,"
      "\"tick_p99_ns\":%.0f,\"tick_max_ns\":%.0f,\"closed\":%" PRIu64 "}\n",
      f.n, f.id_length, f.failed, f.open, f.setup_s, s.rss_per, s.heap_per, sizeof(uv_tcp_t),
      s.est_per, sizeof(protocol::Session), sizeof(SimConnection), sizeof(kite::server::Connection),
      f.connection_chunk, s.registry_per, s.map_per, f.session_heap, sizeof(WheelEntry),
      sizeof(Route), s.empty_median, s.visit_median, static_cast<double>(f.n) / 3000, s.live_cpu,
      s.firing_median, f.firing_per_tick, s.per_fired, f.period.ns.size(), f.fired_period,
      f.period_sum_ns, f.period_wall_ns, s.period_cpu, percentile(f.period.ns, 0.99),
      percentile(f.period.ns, 1.0), f.closed);
}

void print_text(const Figures& f, const Summary& s) {
  std::printf("Session scale: %zu server sessions, simulated without sockets\n", f.n);
  std::printf(
      "  handshakes: %zu real Hmac handshakes in %.2f s (%.1f us each, both ends), "
      "%zu failed; %zu Open and scheduled\n",
      f.n, f.setup_s, f.setup_s * 1e6 / static_cast<double>(f.n), f.failed, f.open);
  std::printf("  device ids: %zu bytes; ip: IPv4, kept binary (PeerIp)\n", f.id_length);
  std::printf("Memory per session (SimConnection = Connection minus its uv_tcp_t):\n");
  std::printf("  RSS      %8.1f B  (VmRSS %ld -> %ld)\n", s.rss_per, f.rss_before, f.rss_after);
  std::printf("  malloc   %8.1f B  (mallinfo2 uordblks %ld -> %ld)\n", s.heap_per, f.heap_before,
              f.heap_after);
  std::printf("  + sizeof(uv_tcp_t) %zu B => estimated %.0f B of RSS per kited connection\n",
              sizeof(uv_tcp_t), s.est_per);
  std::printf(
      "  parts: sizeof(Connection) %zu = uv_tcp_t %zu + SimConnection %zu "
      "(of which Session %zu, WheelEntry %zu); malloc chunk of a SimConnection %zu\n",
      sizeof(kite::server::Connection), sizeof(uv_tcp_t), sizeof(SimConnection),
      sizeof(protocol::Session), sizeof(WheelEntry), f.connection_chunk);
  std::printf(
      "         registry %.1f B/device (node + buckets; Route %zu B), worker map "
      "%.1f B/connection, Session heap beyond its object %ld B\n",
      s.registry_per, sizeof(Route), s.map_per, f.session_heap);
  std::printf("Timing wheel (%lld ms x %zu slots), %zu entries:\n",
              static_cast<long long>(kWheelTick), kWheelSlots, f.n);
  std::printf("  empty tick (slot holds nothing):            %8.0f ns\n", s.empty_median);
  std::printf("  live tick (visits ~%.0f not-due entries):    %8.0f ns  => %.3f %% of a core\n",
              static_cast<double>(f.n) / 3000, s.visit_median, s.live_cpu);
  std::printf(
      "  firing tick (%.0f fired, tick + reschedule): %8.0f ns  => %.1f ns per fired "
      "entry (period mean)\n",
      f.firing_per_tick, s.firing_median, s.per_fired);
  std::printf("  full keep-alive period (%zu ticks, %" PRIu64
              " fired): %.1f ms of CPU in "
              "%.0f s => %.3f %% of a core; tick p99 %.0f ns, max %.0f ns\n",
              f.period.ns.size(), f.fired_period, f.period_sum_ns / 1e6,
              static_cast<double>(kTimeout) / 1000, s.period_cpu, percentile(f.period.ns, 0.99),
              percentile(f.period.ns, 1.0));
  if (f.closed) std::printf("  WARNING: %" PRIu64 " sessions closed on a tick\n", f.closed);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) return 2;
  if (options.n == 0 || options.id_length == 0 || options.id_length > 128) return 2;

  Sim* sim = new_sim();
  auto* client_context = new protocol::SessionContext(protocol::SessionConfig{});
  auto* connections = new std::vector<SimConnection*>;  // the Worker's slots
  std::vector<SimConnection*> all(options.n);  // the simulation's index, touched before measuring
  warm_shared_buffers(*sim, *client_context, options.id_length);

  Figures f;
  f.n = options.n;
  f.id_length = options.id_length;
  connect_all(*sim, *client_context, *connections, all, f);
  measure_parts(all, f);
  measure_wheel(sim->wheel, all, f);

  const Summary summary = summarize(f);
  if (options.json)
    print_json(f, summary);
  else
    print_text(f, summary);
  std::fflush(stdout);
  std::_Exit(f.failed == 0 && f.closed == 0 ? 0 : 1);  // 1M connections need no teardown
}
