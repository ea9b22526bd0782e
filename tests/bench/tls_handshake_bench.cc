// What TLS costs kited per core (protocol/tls over OpenSSL 3): server handshakes per second, and
// AES-GCM record throughput, with client and server TlsChannels pumped against each other in
// memory on one thread. Only the server channel's calls are timed, with the thread's CPU clock
// (CLOCK_THREAD_CPUTIME_ID) read around each of them, so the client's work and the pumping are
// left out. The cost of reading the clock is measured and subtracted.
//
//   build-rel/tests/bench/kite_tls_handshake_bench [FILTER]
//   (a Release build; about a minute; FILTER runs only the figures whose label contains it)
//
// Each figure: 5 runs, each printed, then the median. Goals: 3,000 full P-256 handshakes/s and
// 20,000 resumed handshakes/s per core.
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "test_pki.h"

namespace {

using kite::tls::TlsChannel;
using kite::tls::TlsContext;
using kite::tls::TlsSettings;
using Bytes = std::vector<std::uint8_t>;

constexpr int kRuns = 5;

double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Thread CPU time spent inside the server's calls, less the clock reads themselves.
class ServerClock {
 public:
  explicit ServerClock(double clock_pair_cost) : clock_pair_cost_(clock_pair_cost) {}
  template <class Call>
  auto time(Call call) {
    double start = thread_seconds();
    struct Stop {
      ServerClock& clock;
      double start;
      ~Stop() { clock.seconds_ += thread_seconds() - start - clock.clock_pair_cost_; }
    } stop{*this, start};
    return call();
  }
  double seconds() const { return seconds_; }

 private:
  double clock_pair_cost_;
  double seconds_ = 0;
};

double measure_clock_pair_cost() {
  constexpr int kReads = 200'000;
  double start = thread_seconds();
  for (int i = 0; i < kReads; ++i) thread_seconds();
  return (thread_seconds() - start) / kReads * 2;  // a start and a stop per timed call
}

std::shared_ptr<const TlsContext> make_context(const TlsSettings& settings) {
  auto created = TlsContext::create(settings);
  if (!created.context) throw std::runtime_error("tls context: " + created.error);
  return created.context;
}

struct Connection {
  TlsChannel client;
  TlsChannel server;
};

// One connection to the end of its handshake and the client's reading of the tickets; the
// server's calls are timed.
Connection handshake(const std::shared_ptr<const TlsContext>& client_context,
                     const std::shared_ptr<const TlsContext>& server_context, ServerClock& clock) {
  TlsChannel client(client_context);
  TlsChannel server = clock.time([&] { return TlsChannel(server_context); });
  Bytes wire;
  Bytes plain;
  for (int round = 0; round < 10; ++round) {
    wire.clear();
    client.take_all_output(wire);
    if (!wire.empty()) {
      clock.time([&] { return server.feed(wire); });
      clock.time([&] { return server.read_all(plain); });
    }
    wire.clear();
    clock.time([&] { return server.take_all_output(wire); });
    if (wire.empty()) break;
    client.feed(wire);
    client.read_all(plain);  // NewSessionTicket
  }
  if (!server.handshake_done() || !client.handshake_done()) {
    throw std::runtime_error("handshake failed: server: " + std::string(server.failure_reason()) +
                             "; client: " + std::string(client.failure_reason()));
  }
  return {std::move(client), std::move(server)};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

const char* g_filter = "";  // argv[1]: run only the figures whose label contains it

// Runs `one_run` (returns a rate) kRuns times; prints every run and the median.
void report(const char* label, const char* unit, const std::function<double()>& one_run) {
  if (!std::strstr(label, g_filter)) return;
  std::vector<double> rates;
  std::printf("%-58s", label);
  for (int run = 0; run < kRuns; ++run) {
    rates.push_back(one_run());
    std::printf(" %9.0f", rates.back());
    std::fflush(stdout);
  }
  std::printf("  | median %9.0f %s\n", median(rates), unit);
}

struct Fixture {
  double clock_pair_cost = measure_clock_pair_cost();
  kite::test::TempDir dir;
  kite::test::TestCa ca{"Kite Bench CA", dir.path()};
  kite::test::IssuedCert p256;
  kite::test::IssuedCert rsa;

  Fixture() {
    kite::test::CertSpec spec{
        .common_name = "kited", .dns_names = {"localhost"}, .usage = kite::test::Usage::Server};
    p256 = ca.issue("p256", spec);
    spec.key = kite::test::KeyKind::Rsa2048;
    rsa = ca.issue("rsa", spec);
  }

  TlsSettings server(const kite::test::IssuedCert& cert) const {
    TlsSettings settings;
    settings.certificate_chain_file = cert.certificate;
    settings.private_key_file = cert.key;
    return settings;  // tickets on, as kited runs
  }

  TlsSettings client(bool tickets) const {
    TlsSettings settings;
    settings.role = kite::tls::Role::Client;
    settings.ca_file = ca.ca_file();
    settings.server_name = "localhost";
    settings.session_tickets = tickets;
    return settings;
  }
};

// Full handshakes: the client keeps no tickets, so every handshake signs and does X25519.
double full_handshakes(const Fixture& fixture, const kite::test::IssuedCert& cert, int count) {
  auto server = make_context(fixture.server(cert));
  auto client = make_context(fixture.client(false));
  ServerClock clock(fixture.clock_pair_cost);
  for (int i = 0; i < count; ++i) handshake(client, server, clock);
  return count / clock.seconds();
}

// Whether the server took the client's key share, i.e. did (EC)DHE.
bool used_key_share(const TlsChannel& server) {
  EVP_PKEY* key = nullptr;
  SSL_get_peer_tmp_key(server.native_handle(), &key);
  EVP_PKEY_free(key);
  return key != nullptr;
}

// Resumed handshakes; `expect_group` is whether the server should still do (EC)DHE.
// A resumed connection brings no fresh ticket (resumption.cc): `new_ticket` makes the full
// handshake each resumption needs before it, which is not timed.
double resumed_handshakes(const Fixture& fixture, const std::shared_ptr<const TlsContext>& client,
                          const std::shared_ptr<const TlsContext>& server, bool expect_group,
                          int count, const std::function<void()>& new_ticket) {
  ServerClock clock(fixture.clock_pair_cost);
  for (int i = 0; i < count; ++i) {
    new_ticket();
    TlsChannel channel = handshake(client, server, clock).server;
    bool dhe = used_key_share(channel);
    if (!channel.resumed() || dhe != expect_group) {
      throw std::runtime_error(std::string("expected a resumed handshake ") +
                               (expect_group ? "with" : "without") + " (EC)DHE; got resumed=" +
                               std::to_string(channel.resumed()) + " dhe=" + std::to_string(dhe));
    }
  }
  return count / clock.seconds();
}

double psk_dhe_ke_handshakes(const Fixture& fixture, int count) {
  auto server = make_context(fixture.server(fixture.p256));
  auto client = make_context(fixture.client(true));
  ServerClock unused(0);
  return resumed_handshakes(fixture, client, server, true, count,
                            [&] { handshake(client, server, unused); });
}

// psk_ke: OpenSSL 3.0 clients always offer psk_dhe_ke as well, and 3.0 servers prefer it when
// the client's key share is usable. With SSL_OP_ALLOW_NO_DHE_KEX on both ends and no group in
// common after the first handshake, the server resumes with psk_ke instead of a HelloRetryRequest.
double psk_ke_handshakes(const Fixture& fixture, int count) {
  auto server = make_context(fixture.server(fixture.p256));
  auto client = make_context(fixture.client(true));
  SSL_CTX_set_options(server->native_handle(), SSL_OP_ALLOW_NO_DHE_KEX);
  SSL_CTX_set_options(client->native_handle(), SSL_OP_ALLOW_NO_DHE_KEX);
  SSL_CTX_set1_groups_list(client->native_handle(), "X25519:X448");
  ServerClock unused(0);
  return resumed_handshakes(fixture, client, server, false, count, [&] {
    SSL_CTX_set1_groups_list(server->native_handle(), "X25519");
    handshake(client, server, unused);  // a ticket, over X25519
    SSL_CTX_set1_groups_list(server->native_handle(), "P-384");
  });
}

// Server encrypting `size`-byte writes: write() + take_all_output(). MB/s (10^6 bytes of
// plaintext).
double encrypt_throughput(const Fixture& fixture, std::size_t size, bool release_buffers) {
  TlsSettings settings = fixture.server(fixture.p256);
  settings.release_idle_buffers = release_buffers;
  auto server_context = make_context(settings);
  auto client_context = make_context(fixture.client(false));
  ServerClock unused(0);
  TlsChannel server = handshake(client_context, server_context, unused).server;
  Bytes plain(size, 0x5a);
  Bytes wire;
  wire.reserve(size + 1024);
  const std::size_t total = size >= 16384 ? 256u << 20 : 32u << 20;
  double start = thread_seconds();
  for (std::size_t sent = 0; sent < total; sent += size) {
    server.write(plain);
    wire.clear();
    server.take_all_output(wire);
  }
  return static_cast<double>(total) / (thread_seconds() - start) / 1e6;
}

// Server decrypting `size`-byte records: feed() + read(). The client encrypts batches untimed.
double decrypt_throughput(const Fixture& fixture, std::size_t size, bool release_buffers) {
  TlsSettings settings = fixture.server(fixture.p256);
  settings.release_idle_buffers = release_buffers;
  auto server_context = make_context(settings);
  auto client_context = make_context(fixture.client(false));
  ServerClock unused(0);
  Connection connection = handshake(client_context, server_context, unused);
  Bytes wire;
  Bytes record(size, 0x5a);
  Bytes received(64 * 1024);
  const std::size_t total = size >= 16384 ? 256u << 20 : 32u << 20;
  const std::size_t batch = std::max<std::size_t>(size, 1u << 20);
  double seconds = 0;
  for (std::size_t sent = 0; sent < total; sent += batch) {
    wire.clear();
    for (std::size_t in_batch = 0; in_batch < batch; in_batch += size)
      connection.client.write(record);
    connection.client.take_all_output(wire);
    double start = thread_seconds();
    connection.server.feed(wire);
    while (connection.server.read(received) > 0) {
    }
    seconds += thread_seconds() - start;
  }
  return static_cast<double>(total) / seconds / 1e6;
}

// The point-to-point shape: one small record per socket read, decrypted with feed() + read_all()
// as kited does, so the per-call cost shows, not the cipher's. Timed a thousand records at a
// time: a thread clock read costs about as much as one record here.
double single_record_reads(const Fixture& fixture, std::size_t size) {
  auto server_context = make_context(fixture.server(fixture.p256));
  auto client_context = make_context(fixture.client(false));
  ServerClock unused(0);
  Connection connection = handshake(client_context, server_context, unused);
  Bytes record(size, 0x5a);
  std::vector<Bytes> wires(1000);
  Bytes received;
  constexpr int kBatches = 200;
  ServerClock clock(fixture.clock_pair_cost);
  for (int batch = 0; batch < kBatches; ++batch) {
    for (Bytes& wire : wires) {
      wire.clear();
      connection.client.write(record);
      connection.client.take_all_output(wire);
    }
    clock.time([&] {
      for (const Bytes& wire : wires) {
        received.clear();
        connection.server.feed(wire);
        connection.server.read_all(received);
      }
    });
  }
  return static_cast<double>(kBatches * wires.size()) / clock.seconds();
}

void run_all() {
  Fixture fixture;  // its temporary directory goes when it does, also on an exception
  std::printf(
      "kite::tls, server side only; %s; thread CPU time; clock reads (%.2f us a call) "
      "subtracted\n",
      OpenSSL_version(OPENSSL_VERSION), fixture.clock_pair_cost * 1e6);
  std::printf("%-58s %9s %9s %9s %9s %9s\n", "", "run 1", "run 2", "run 3", "run 4", "run 5");
  report("full TLS 1.3 handshake, ECDSA P-256 cert, X25519", "handshakes/s/core (goal 3,000)",
         [&] { return full_handshakes(fixture, fixture.p256, 600); });
  report("full TLS 1.3 handshake, RSA-2048 cert, X25519", "handshakes/s/core",
         [&] { return full_handshakes(fixture, fixture.rsa, 200); });
  report("resumed with a ticket, psk_dhe_ke (X25519; the default)",
         "handshakes/s/core (goal 20,000)", [&] { return psk_dhe_ke_handshakes(fixture, 3000); });
  report("resumed with a ticket, psk_ke (no (EC)DHE, no forward sec.)", "handshakes/s/core",
         [&] { return psk_ke_handshakes(fixture, 3000); });
  report("  decrypt one 200-byte record per feed (feed+read_all)", "records/s/core",
         [&] { return single_record_reads(fixture, 200); });
  for (bool release : {true, false}) {
    std::printf("records, AES-128-GCM, release_idle_buffers=%s:\n",
                release ? "true (default)" : "false");
    for (std::size_t size : {std::size_t{256}, std::size_t{16384}}) {
      std::string label =
          "  encrypt " + std::to_string(size) + "-byte writes (write+take_all_output)";
      report(label.c_str(), "MB/s/core",
             [&] { return encrypt_throughput(fixture, size, release); });
      label = "  decrypt " + std::to_string(size) + "-byte records (feed+read)";
      report(label.c_str(), "MB/s/core",
             [&] { return decrypt_throughput(fixture, size, release); });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_filter = argv[1];
  try {
    run_all();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "\n%s\n", error.what());
    return 1;
  }
  return 0;
}
