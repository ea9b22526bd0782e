// bring-your-own-loop: the device SDK in a loop of the application's own, with no thread, no
// libuv and no SDK-owned socket: kite::LowLevelClient driven by blocking sockets and poll(), as
// a game's frame loop or an RTOS task would drive it (docs/sdk.md, "Bring your own loop").
//   bring-your-own-loop HOST PORT DEVICE_ID KEY_HEX [SESSION_FILE]
// Prints every message kited sends (one line on stdout each), publishes "reading N" every 5 s,
// and on SIGINT or SIGTERM says goodbye to kited and exits 0.
#include <kite/low_level_client.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Resolves `host` and connects to each address in turn; blocking, as a device with nothing else
// to do while it dials may well be. -1 and `why` when none answers.
int tcp_connect(const std::string& host, std::uint16_t port, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int status = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found)) {
    why = gai_strerror(status);
    return -1;
  }
  int fd = -1;
  why = "no address";
  for (const addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

bool write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The SDK's I/O until it asks nothing more: what it has to say goes out, then its close, then
// its dial (whose first bytes go out on the next round). Returns false once the client has
// finished and its last words are out.
bool move_bytes(kite::LowLevelClient& client, int& fd) {
  for (;;) {
    std::vector<std::uint8_t> out;
    client.take_output(out);
    if (!out.empty() && fd >= 0 && !write_all(fd, out))
      client.socket_error(std::strerror(errno), now_ms());
    bool graceful = false;
    if (client.close_wanted(&graceful) && fd >= 0) {
      if (graceful) shutdown(fd, SHUT_WR);  // the goodbye first, then the end of the stream
      close(fd);
      fd = -1;
    }
    auto dial = client.dial();
    if (!dial) return !client.finished();
    std::string why;
    fd = tcp_connect(dial->host, dial->port, why);
    fd >= 0 ? client.connected(now_ms()) : client.connect_failed(why, now_ms());
  }
}

// Waits for the socket or the next deadline (the SDK's or the app's), then feeds what came.
void wait_and_read(kite::LowLevelClient& client, int& fd, std::int64_t app_deadline) {
  std::int64_t deadline = app_deadline;
  if (client.next_tick() >= 0) deadline = std::min(deadline, client.next_tick());
  const int timeout = static_cast<int>(std::clamp<std::int64_t>(deadline - now_ms(), 0, 60'000));
  pollfd socket{fd, POLLIN, 0};
  if (poll(&socket, fd >= 0 ? 1 : 0, timeout) > 0) {
    std::uint8_t buffer[16 << 10];
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      client.received({buffer, static_cast<std::size_t>(n)}, now_ms());
    } else if (n == 0) {
      client.peer_closed(now_ms());
    } else if (errno != EINTR) {
      client.socket_error(std::strerror(errno), now_ms());
    }
  }
  client.tick(now_ms());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: bring-your-own-loop HOST PORT DEVICE_ID KEY_HEX [SESSION_FILE]\n");
    return 2;
  }
  kite::ClientOptions options;
  options.host = argv[1];
  options.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  options.device_id = argv[3];
  options.key = argv[4];
  if (argc == 6) options.session_file = argv[5];
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop_requested = 1; };  // no SA_RESTART: poll() returns
  sigaction(SIGINT, &on_signal, nullptr);
  sigaction(SIGTERM, &on_signal, nullptr);

  kite::LowLevelClient client(options);
  client.on_message([](const kite::Message& m) {
    std::printf("%.*s\n", static_cast<int>(m.payload.size()), m.payload.data());
    std::fflush(stdout);
  });
  client.on_state([](const kite::StateChange& s) {
    std::fprintf(stderr, "%s %.*s\n", kite::describe(s.state).data(),
                 static_cast<int>(s.reason.size()), s.reason.data());
  });
  if (client.start(now_ms()) != kite::Error::Ok) {
    std::fprintf(stderr, "%s\n", client.start_error().c_str());
    return 2;
  }
  int fd = -1;
  unsigned readings = 0;
  std::int64_t next_reading = now_ms() + 5'000;
  bool stopping = false;
  while (move_bytes(client, fd)) {
    if (stop_requested && !stopping) {
      stopping = true;
      client.stop();  // the goodbye comes out of the next move_bytes()
      continue;
    }
    if (now_ms() >= next_reading) {
      const std::string reading = "reading " + std::to_string(++readings);
      client.publish({.payload = reading, .topic = "reading"});
      next_reading += 5'000;
      continue;  // its bytes go out before the wait
    }
    wait_and_read(client, fd, next_reading);
  }
  return 0;
}
