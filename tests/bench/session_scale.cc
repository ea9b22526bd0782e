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
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/connection.h"
#include "core/registry.h"
#include "core/timing_wheel.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/session.h"
#include "kite/protocol/session_context.h"

namespace {

using kite::server::Millis;
using kite::server::Registry;
using kite::server::Route;
using kite::server::TimingWheel;
using kite::server::WheelEntry;
namespace protocol = kite::protocol;

constexpr Millis kWheelTick = 10;          // server/core/worker.cc
constexpr std::size_t kWheelSlots = 4096;  // server/core/worker.cc
constexpr Millis kKeepalive = 30'000;      // SessionConfig default
constexpr Millis kTimeout = kKeepalive * 150 / 100;
// Sessions open at this time: the wheel phases below run from 0 to 60 s, before their 65 s expiry.
constexpr Millis kOpenedAt = 20'000;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

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

// What a worker loop holds for all its connections.
struct Sim {
  protocol::SessionContext context{protocol::SessionConfig{}};
  TimingWheel wheel{kWheelTick, kWheelSlots, 0};
  Registry registry;
  std::vector<std::uint64_t> read_buffer_words = std::vector<std::uint64_t>(64 * 1024 / 8 + 1);
  std::array<std::uint8_t, 32> master_key{};
  std::array<std::uint8_t, 32> resume_secret{};
  std::uint64_t marked_dirty = 0;
  const protocol::DeviceKey* current_key = nullptr;  // the device being connected
  std::uint64_t nonce_counter = 0;

  // Worker::read_buffer(): the bytes land at the decoder's offset hint in an 8-aligned buffer.
  std::span<const std::uint8_t> place(std::span<const std::uint8_t> bytes, std::size_t hint) {
    auto* base = reinterpret_cast<std::uint8_t*>(read_buffer_words.data()) + hint;
    std::memcpy(base, bytes.data(), bytes.size());
    return {base, bytes.size()};
  }
};

// Connection's fields, in Connection's order, minus the uv_tcp_t.
class SimConnection final : public protocol::SessionHandler, public WheelEntry {
 public:
  SimConnection(Sim& sim, std::uint64_t id, Millis now)
      : sim_(sim), id_(id), session_(protocol::Role::Server, sim.context, *this, now) {}

  bool dirty = false;

  void on_hello(const protocol::HelloInfo& hello) override {
    // Authenticator::key_for + random server nonce, as Connection::on_hello (Hmac).
    hello_last_received_ = hello.last_received_seq;
    const protocol::DeviceKey& key = *sim_.current_key;  // key_for(id): a lookup in kited
    protocol::Nonce nonce{};
    protocol::random_bytes(nonce);
    session_.challenge(key, nonce);
  }
  void on_authenticated(std::string_view) override { welcome(); }
  void on_open(const protocol::OpenInfo&) override {
    counted_unauthenticated_ = false;
    backlog_ = true;  // pump() would read the (empty) store and clear it
    backlog_ = false;
  }
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override { closing_ = true; }

  void welcome() {
    const std::string& device = session_.device_id();
    protocol::WelcomeParams params;
    params.store_epoch = 1;
    Route route{0, id_, 1'700'000'000'000, ip_};
    sim_.registry.claim(device, route);
    registered_ = true;
    params.resumed = false;
    // Authenticator::resume_token: 16 bytes of an HMAC over the id and the epoch.
    auto mac = protocol::derive_device_key(sim_.resume_secret, device);
    params.resume_token.assign(mac.begin(), mac.begin() + 16);
    params.next_seq = 1;
    params.last_received_seq = 0;
    last_stored_sent_ = 0;
    session_.accept(params, kOpenedAt);
  }

  // Connection::after_session_call.
  void after_session_call() {
    if (session_.has_output()) {
      dirty = true;
      ++sim_.marked_dirty;
    }
    if (closing_) return;
    Millis due = session_.next_deadline();
    if (due == std::numeric_limits<Millis>::max())
      sim_.wheel.cancel(*this);
    else if (!scheduled() || deadline != due)
      sim_.wheel.schedule(*this, due);
  }

  // Connection::flush, minus the socket: the output moves to a fresh write request's vector.
  std::vector<std::uint8_t> flush() {
    dirty = false;
    std::vector<std::uint8_t> written;
    session_.take_output(written);
    return written;
  }

  Sim& sim_;  // Worker& worker_
  std::uint64_t id_;
  protocol::Session session_;
  kite::server::PeerIp ip_;
  std::uint64_t last_stored_sent_ = 0;
  std::uint64_t queued_ack_ = 0;
  std::size_t write_queue_bytes_ = 0;
  std::uint64_t hello_last_received_ = 0;
  bool hello_resume_valid_ = false;
  bool counted_unauthenticated_ = false;
  bool registered_ = false;
  bool service_ = false;
  bool backlog_ = false;
  bool closing_ = false;
  std::vector<std::string> token_groups_;
};

class ClientHandler final : public protocol::SessionHandler {
 public:
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override { closed = true; }
  bool closed = false;
};

std::string device_id(std::uint64_t i, std::size_t length) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%012" PRIx64, i);
  std::string id(digits);
  if (id.size() < length) id.insert(0, std::string(length - id.size(), 'd'));
  return id;
}

kite::server::PeerIp ip_of(std::uint64_t i) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(0x0a000000u | static_cast<std::uint32_t>(i & 0xffffff));
  return kite::server::PeerIp::from(reinterpret_cast<const sockaddr*>(&address));
}

// One device: a fresh client Session (on the clients' shared context) and a real handshake with
// the server connection. False if either end is not Open at the end.
bool handshake(Sim& sim, protocol::SessionContext& client_context, SimConnection& server,
               const std::string& id) {
  ClientHandler handler;
  protocol::Session client(protocol::Role::Client, client_context, handler, kOpenedAt);
  protocol::ClientCredentials credentials;
  credentials.device_id = id;
  // The key is derived once and handed to both ends (kited looks it up in its key files); the
  // client's nonce is the device's business: a cheap non-cryptographic fill is enough here.
  credentials.key = protocol::derive_device_key(sim.master_key, id);
  sim.current_key = &credentials.key;
  for (std::size_t i = 0; i < credentials.nonce.size(); i += 8) {
    std::uint64_t r = splitmix(++sim.nonce_counter);
    std::memcpy(credentials.nonce.data() + i, &r, 8);
  }
  credentials.agent = "kite-sim/1";
  client.start(credentials, {}, kOpenedAt);

  std::vector<std::uint8_t> bytes;
  for (int round = 0; round < 4 && !(client.is_open() && server.session_.is_open()); ++round) {
    client.take_output(bytes);  // hello, then auth
    if (!bytes.empty()) {
      auto& decoder = server.session_.decoder();
      server.session_.receive(sim.place(bytes, decoder.read_offset_hint()), kOpenedAt);
      server.after_session_call();
    }
    if (server.session_.has_output()) {  // challenge, then welcome
      auto written = server.flush();
      client.receive(written, kOpenedAt);
    }
  }
  return client.is_open() && server.session_.is_open() && !handler.closed;
}

struct TickStats {
  std::vector<double> ns;
  std::vector<std::uint32_t> fired;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000;
  std::size_t id_length = 12;  // a MAC address in hex: fits std::string's 15-byte inline buffer
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json")
      json = true;
    else if (arg == "--n" && i + 1 < argc)
      n = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--id-len" && i + 1 < argc)
      id_length = std::strtoull(argv[++i], nullptr, 10);
    else if (!arg.empty() && arg[0] != '-')
      n = std::strtoull(arg.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [N] [--n N] [--id-len L] [--json]\n", argv[0]);
      return 2;
    }
  }
  if (n == 0 || id_length == 0 || id_length > 128) return 2;

  auto* sim = new Sim;  // never freed: the process ends with it
  for (std::size_t i = 0; i < sim->master_key.size(); ++i) {
    sim->master_key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    sim->resume_secret[i] = static_cast<std::uint8_t>(i * 13 + 5);
  }
  auto* client_context = new protocol::SessionContext(protocol::SessionConfig{});
  auto* connections = new std::vector<SimConnection*>;  // the Worker's slots
  std::vector<SimConnection*> all(n);  // the simulation's index, touched before the measurement
  {  // warm the shared encoder/decoder buffers so their growth is not counted per session
    auto* warm = new SimConnection(*sim, 1, kOpenedAt);
    handshake(*sim, *client_context, *warm, device_id(0xffffffffff, id_length));
    sim->wheel.cancel(*warm);
    sim->registry.release(warm->session_.device_id(), Route{0, 1, 0, {}});
  }
  malloc_trim(0);
  long rss_before = rss_bytes();
  long heap_before = heap_bytes();

  auto start = std::chrono::steady_clock::now();
  std::size_t failed = 0;
  std::uint64_t next_id = std::uint64_t{1} << 40;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t id = next_id++;
    auto* c = new SimConnection(*sim, id, kOpenedAt);
    connections->push_back(c);
    c->ip_ = ip_of(i);
    c->counted_unauthenticated_ = true;
    c->after_session_call();  // the handshake deadline
    if (!handshake(*sim, *client_context, *c, device_id(i, id_length))) ++failed;
    all[i] = c;
  }
  double setup_s = elapsed_ns(start) / 1e9;
  long rss_after = rss_bytes();
  long heap_after = heap_bytes();

  std::size_t open = 0;
  for (auto* c : all) open += c->session_.is_open() && c->scheduled();
  std::size_t connection_chunk = malloc_usable_size(all[0]) + sizeof(std::size_t);

  // The parts, rebuilt alone with the same keys: what the registry and the worker's map cost.
  long heap_mark = heap_bytes();
  auto* registry_copy = new Registry;
  for (auto* c : all)
    registry_copy->claim(c->session_.device_id(), Route{0, c->id_, 1'700'000'000'000, c->ip_});
  long registry_bytes = heap_bytes() - heap_mark;
  delete registry_copy;
  heap_mark = heap_bytes();
  auto* map_copy = new std::vector<SimConnection*>;  // grown like the worker's, by push_back
  for (auto* c : all) map_copy->push_back(c);
  long map_bytes = heap_bytes() - heap_mark;
  delete map_copy;
  long session_heap = 0;  // heap the Session itself holds once open (beyond its inline bytes)
  {
    const auto& s = all[0]->session_;
    if (s.device_id().capacity() > 15) session_heap += static_cast<long>(s.device_id().capacity());
  }

  // --- the wheel ------------------------------------------------------------------------------
  auto& wheel = sim->wheel;
  std::uint64_t fired_total = 0;
  std::uint64_t closed = 0;
  bool reschedule_one_period = true;
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
  std::vector<double> visit_ticks(live.ns.begin(), live.ns.begin() + 404);
  std::vector<double> empty_ticks(live.ns.begin() + 420, live.ns.end());

  // (2) A full keep-alive period in which every deadline comes due once, spread over 45 s.
  for (std::size_t i = 0; i < n; ++i)
    wheel.schedule(*all[i], 15'000 + static_cast<Millis>(splitmix(i + n) % kTimeout));
  TickStats period;
  auto period_start = std::chrono::steady_clock::now();
  run_ticks(15'000, 15'000 + kTimeout, period);
  double period_wall_ns = elapsed_ns(period_start);
  std::uint64_t fired_period = fired_total - fired_live;
  double period_sum_ns = 0;
  for (double v : period.ns) period_sum_ns += v;
  std::vector<double> firing_ticks;
  double firing_per_tick = 0;
  for (std::size_t i = 0; i < period.ns.size(); ++i)
    if (period.fired[i] > 0) {
      firing_ticks.push_back(period.ns[i]);
      firing_per_tick += period.fired[i];
    }
  firing_per_tick /= std::max<std::size_t>(firing_ticks.size(), 1);

  // --- report -----------------------------------------------------------------------------------
  double rss_per = static_cast<double>(rss_after - rss_before) / static_cast<double>(n);
  double heap_per = static_cast<double>(heap_after - heap_before) / static_cast<double>(n);
  double registry_per = static_cast<double>(registry_bytes) / static_cast<double>(n);
  double map_per = static_cast<double>(map_bytes) / static_cast<double>(n);
  double est_per = rss_per + static_cast<double>(sizeof(uv_tcp_t));
  double visit_median = median(visit_ticks);
  double empty_median = median(empty_ticks);
  double firing_median = median(firing_ticks);
  double per_fired = period_sum_ns / static_cast<double>(std::max<std::uint64_t>(fired_period, 1));
  double period_cpu = period_sum_ns / (static_cast<double>(kTimeout) * 1e6) * 100;
  double live_cpu = visit_median / (static_cast<double>(kWheelTick) * 1e6) * 100;

  if (json) {
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
        n, id_length, failed, open, setup_s, rss_per, heap_per, sizeof(uv_tcp_t), est_per,
        sizeof(protocol::Session), sizeof(SimConnection), sizeof(kite::server::Connection),
        connection_chunk, registry_per, map_per, session_heap, sizeof(WheelEntry), sizeof(Route),
        empty_median, visit_median, static_cast<double>(n) / 3000, live_cpu, firing_median,
        firing_per_tick, per_fired, period.ns.size(), fired_period, period_sum_ns, period_wall_ns,
        period_cpu, percentile(period.ns, 0.99), percentile(period.ns, 1.0), closed);
  } else {
    std::printf("Session scale: %zu server sessions, simulated without sockets\n", n);
    std::printf(
        "  handshakes: %zu real Hmac handshakes in %.2f s (%.1f us each, both ends), "
        "%zu failed; %zu Open and scheduled\n",
        n, setup_s, setup_s * 1e6 / static_cast<double>(n), failed, open);
    std::printf("  device ids: %zu bytes; ip: IPv4, kept binary (PeerIp)\n", id_length);
    std::printf("Memory per session (SimConnection = Connection minus its uv_tcp_t):\n");
    std::printf("  RSS      %8.1f B  (VmRSS %ld -> %ld)\n", rss_per, rss_before, rss_after);
    std::printf("  malloc   %8.1f B  (mallinfo2 uordblks %ld -> %ld)\n", heap_per, heap_before,
                heap_after);
    std::printf("  + sizeof(uv_tcp_t) %zu B => estimated %.0f B of RSS per kited connection\n",
                sizeof(uv_tcp_t), est_per);
    std::printf(
        "  parts: sizeof(Connection) %zu = uv_tcp_t %zu + SimConnection %zu "
        "(of which Session %zu, WheelEntry %zu); malloc chunk of a SimConnection %zu\n",
        sizeof(kite::server::Connection), sizeof(uv_tcp_t), sizeof(SimConnection),
        sizeof(protocol::Session), sizeof(WheelEntry), connection_chunk);
    std::printf(
        "         registry %.1f B/device (node + buckets; Route %zu B), worker map "
        "%.1f B/connection, Session heap beyond its object %ld B\n",
        registry_per, sizeof(Route), map_per, session_heap);
    std::printf("Timing wheel (%lld ms x %zu slots), %zu entries:\n",
                static_cast<long long>(kWheelTick), kWheelSlots, n);
    std::printf("  empty tick (slot holds nothing):            %8.0f ns\n", empty_median);
    std::printf("  live tick (visits ~%.0f not-due entries):    %8.0f ns  => %.3f %% of a core\n",
                static_cast<double>(n) / 3000, visit_median, live_cpu);
    std::printf(
        "  firing tick (%.0f fired, tick + reschedule): %8.0f ns  => %.1f ns per fired "
        "entry (period mean)\n",
        firing_per_tick, firing_median, per_fired);
    std::printf("  full keep-alive period (%zu ticks, %" PRIu64
                " fired): %.1f ms of CPU in "
                "%.0f s => %.3f %% of a core; tick p99 %.0f ns, max %.0f ns\n",
                period.ns.size(), fired_period, period_sum_ns / 1e6,
                static_cast<double>(kTimeout) / 1000, period_cpu, percentile(period.ns, 0.99),
                percentile(period.ns, 1.0));
    if (closed) std::printf("  WARNING: %" PRIu64 " sessions closed on a tick\n", closed);
  }
  std::fflush(stdout);
  std::_Exit(failed == 0 && closed == 0 ? 0 : 1);  // 1M connections need no teardown
}
