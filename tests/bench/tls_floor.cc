// The loopback floor of ../shared/peer/floor.c with TLS 1.3 in the way: one process, a writer
// thread sending 64 B messages round-robin to N loopback sockets, one SSL_write each (so one
// record and one write() each), and a reader thread draining the peer ends with epoll and
// SSL_read. OpenSSL on plain sockets, nothing of Kite's in the way: what any server pays to put
// one small message in its own TLS record and read it back, on this machine. Run with `plain`
// for the same loop without TLS (floor.c's figure, measured by the same code).
//
//   kite_tls_floor [tls|plain] [N=1000] [SECONDS=5]
//
// Prints messages per second and CPU microseconds per message: the writer thread's and the
// whole process's (writer, reader and kernel work on both ends). TLS 1.3, AES-128-GCM, a P-256
// certificate made at start (kite_test_pki).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_pki.h"

namespace {

double clock_seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

// A connected loopback pair: `server` accepted (the writer's end), `client` dialled.
struct Pair {
  int server = -1;
  int client = -1;
  SSL* server_tls = nullptr;
  SSL* client_tls = nullptr;
};

std::vector<Pair> connect_pairs(int count) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  check(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bind");
  check(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0, "getsockname");
  check(listen(listener, 4096) == 0, "listen");
  std::vector<Pair> pairs(count);
  for (Pair& pair : pairs) {
    pair.client = socket(AF_INET, SOCK_STREAM, 0);
    check(connect(pair.client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0,
          "connect (raise the open-file limit for a large N)");
    pair.server = accept(listener, nullptr, nullptr);
    check(pair.server >= 0, "accept");
    int one = 1;
    setsockopt(pair.server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  close(listener);
  return pairs;
}

// Both ends' handshakes, blocking, one pair at a time: the server's end on a thread of its own.
void handshake(Pair& pair, SSL_CTX* server_context, SSL_CTX* client_context) {
  pair.server_tls = SSL_new(server_context);
  pair.client_tls = SSL_new(client_context);
  SSL_set_fd(pair.server_tls, pair.server);
  SSL_set_fd(pair.client_tls, pair.client);
  int accepted = 0;
  std::thread server([&] { accepted = SSL_accept(pair.server_tls); });
  int connected = SSL_connect(pair.client_tls);
  server.join();
  if (accepted != 1 || connected != 1) throw std::runtime_error("TLS handshake failed");
}

SSL_CTX* make_context(bool server, const kite::test::IssuedCert& cert) {
  SSL_CTX* context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION);
  SSL_CTX_set_num_tickets(context, 0);  // no NewSessionTicket records in the stream
  if (server) {
    if (SSL_CTX_use_certificate_chain_file(context, cert.certificate.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, cert.key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("cannot load the test certificate");
  }
  return context;
}

std::atomic<bool> g_stop{false};

// Drains every readable client end until told to stop; with TLS, one SSL_read per record.
void drain(std::vector<Pair>& pairs, bool tls) {
  int poller = epoll_create1(0);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    fcntl(pairs[i].client, F_SETFL, O_NONBLOCK);
    epoll_event event{.events = EPOLLIN, .data = {.u64 = i}};
    epoll_ctl(poller, EPOLL_CTL_ADD, pairs[i].client, &event);
  }
  std::vector<char> buffer(65536);
  epoll_event ready[256];
  while (!g_stop.load(std::memory_order_relaxed)) {
    int count = epoll_wait(poller, ready, 256, 10);
    for (int k = 0; k < count; ++k) {
      Pair& pair = pairs[ready[k].data.u64];
      if (tls) {
        while (SSL_read(pair.client_tls, buffer.data(), static_cast<int>(buffer.size())) > 0) {
        }
        ERR_clear_error();
      } else {
        while (read(pair.client, buffer.data(), buffer.size()) > 0) {
        }
      }
    }
  }
  close(poller);
}

}  // namespace

int main(int argc, char** argv) {
  const bool tls = argc <= 1 || std::strcmp(argv[1], "plain") != 0;
  const int count = argc > 2 ? std::atoi(argv[2]) : 1000;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  try {
    kite::test::TempDir dir;
    kite::test::TestCa ca{"Kite Floor CA", dir.path()};
    auto cert = ca.issue("p256", {.common_name = "floor", .usage = kite::test::Usage::Server});
    SSL_CTX* server_context = make_context(true, cert);
    SSL_CTX* client_context = make_context(false, cert);
    std::vector<Pair> pairs = connect_pairs(count);
    if (tls)
      for (Pair& pair : pairs) handshake(pair, server_context, client_context);
    std::thread reader(drain, std::ref(pairs), tls);

    char message[64];
    std::memset(message, 'x', sizeof message);
    long long sent = 0;
    const double start = clock_seconds(CLOCK_MONOTONIC);
    const double writer_start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    const double process_start = process_cpu_seconds();
    while (clock_seconds(CLOCK_MONOTONIC) - start < seconds) {
      for (Pair& pair : pairs) {
        const bool written = tls ? SSL_write(pair.server_tls, message, sizeof message) == 64
                                 : write(pair.server, message, sizeof message) == 64;
        if (!written) throw std::runtime_error("write failed");
      }
      sent += count;
    }
    const double elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
    const double writer = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - writer_start;
    const double process = process_cpu_seconds() - process_start;
    g_stop = true;
    reader.join();
    std::printf(
        "%s N=%d: %.0f msgs/s; writer %.2f us CPU/msg; process %.2f us CPU/msg (%.0f msgs per "
        "process CPU-second)\n",
        tls ? "tls" : "plain", count, sent / elapsed, writer / sent * 1e6, process / sent * 1e6,
        sent / process);
    for (Pair& pair : pairs) {
      SSL_free(pair.server_tls);
      SSL_free(pair.client_tls);
      close(pair.server);
      close(pair.client);
    }
    SSL_CTX_free(server_context);
    SSL_CTX_free(client_context);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "kite_tls_floor: %s\n", error.what());
    return 1;
  }
  return 0;
}
