// The heap of a connected, idle kite::LowLevelClient (docs/benchmarks.md, "Device SDK
// footprint", (d)): the SDK without its libuv driver, as a bring-your-own-loop device holds it.
// Its I/O is this program's, a blocking socket and poll() on the main thread, as in
// examples/bring-your-own-loop; the heap is glibc's mallinfo2() (uordblks + hblkhd), taken
// before the client is constructed, once it has been connected and idle for --settle-ms, and at
// the end of --idle-seconds. Wake-ups: poll() returns over the idle window.
//
//   kite_low_level_footprint --port 7000 --id footprint-1 --key HEX [--host 127.0.0.1]
//                            [--settle-ms 2000] [--idle-seconds 20] [--warm-crypto 1]
#include <kite/low_level_client.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hmac.h"

namespace {

std::size_t heap_in_use() {
  const auto info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int tcp_connect(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd;
}

struct Options {
  kite::ClientOptions client;
  std::int64_t settle_ms = 2000, idle_ms = 20'000;
  bool warm_crypto = false;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      o.client.host = value;
    else if (flag == "--port")
      o.client.port = static_cast<std::uint16_t>(std::atoi(value));
    else if (flag == "--id")
      o.client.device_id = value;
    else if (flag == "--key")
      o.client.key = value;
    else if (flag == "--settle-ms")
      o.settle_ms = std::atoll(value);
    else if (flag == "--idle-seconds")
      o.idle_ms = std::atoll(value) * 1000;
    else if (flag == "--warm-crypto")
      o.warm_crypto = std::string_view(value) == "1";
    else
      return false;
  }
  return argc % 2 == 1 && !o.client.device_id.empty() && !o.client.key.empty();
}

// One round of I/O the client asks for, then one wait of at most `until`; the poll() returns.
int drive(kite::LowLevelClient& client, int& fd, std::int64_t until) {
  std::vector<std::uint8_t> out;
  client.take_output(out);
  if (!out.empty() && fd >= 0 && send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0)
    client.socket_error("send failed", now_ms());
  if (client.close_wanted() && fd >= 0) close(std::exchange(fd, -1));
  if (auto dial = client.dial()) {
    fd = tcp_connect(dial->host, dial->port);
    fd >= 0 ? client.connected(now_ms()) : client.connect_failed("refused", now_ms());
    return 0;
  }
  std::int64_t deadline = until;
  if (client.next_tick() >= 0) deadline = std::min(deadline, client.next_tick());
  pollfd socket{fd, POLLIN, 0};
  const int ready = poll(&socket, fd >= 0 ? 1 : 0,
                         static_cast<int>(std::max<std::int64_t>(0, deadline - now_ms())));
  if (ready > 0) {
    std::uint8_t buffer[16 << 10];
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    n > 0 ? client.received({buffer, static_cast<std::size_t>(n)}, now_ms())
          : client.peer_closed(now_ms());
  }
  client.tick(now_ms());
  return ready;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: kite_low_level_footprint --port P --id ID --key HEX [--host H] "
                 "[--settle-ms 2000] [--idle-seconds 20] [--warm-crypto 1]\n");
    return 2;
  }
  if (o.warm_crypto) {
    std::uint8_t nonce[16];
    (void)kite::protocol::random_bytes(nonce);
    const std::uint8_t key[32] = {};
    (void)kite::protocol::hmac_sha256(key, nonce);
  }
  const std::size_t before = heap_in_use();
  std::size_t settled = 0, at_end = 0;
  int wakeups = 0;
  {
    kite::LowLevelClient client(o.client);
    if (client.start(now_ms()) != kite::Error::Ok) {
      std::fprintf(stderr, "%s\n", client.start_error().c_str());
      return 2;
    }
    int fd = -1;
    const std::int64_t give_up = now_ms() + 10'000;
    while (client.state() != kite::State::Connected && now_ms() < give_up)
      drive(client, fd, now_ms() + 100);
    if (client.state() != kite::State::Connected) {
      std::fprintf(stderr, "not connected within 10 s\n");
      return 1;
    }
    const std::int64_t settle_end = now_ms() + o.settle_ms;
    while (now_ms() < settle_end) drive(client, fd, settle_end);
    settled = heap_in_use();
    const std::int64_t idle_end = now_ms() + o.idle_ms;
    while (now_ms() < idle_end) wakeups += drive(client, fd, idle_end) >= 0 ? 1 : 0;
    --wakeups;  // the window's own end is not a wake-up
    at_end = heap_in_use();
    client.stop();
    for (int i = 0; i < 10 && !client.finished(); ++i) drive(client, fd, now_ms() + 100);
    drive(client, fd, now_ms());  // its goodbye out, its close
  }
  std::printf("{\"heap_before\": %zu, \"held_idle\": %zu, \"held_end\": %zu, \"wakeups\": %d}\n",
              before, settled - before, at_end - before, wakeups);
  return 0;
}
