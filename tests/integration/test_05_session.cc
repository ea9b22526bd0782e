// Session life: keep-alive expiry frees a silent connection; the uplink rate limit; the socket
// options of kited's end of a connection.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "harness.h"
#include "raw_socket.h"

namespace kite::it {

TEST_CASE("05.1 session: a device silent past 1.5 keep-alive intervals is closed") {
  Harness h({"--set", "session.min_keepalive_ms=1000"});
  auto options = h.device_options("quiet-1");
  options.keepalive_ms = 1000;
  TestDevice device(options);
  device.connect_and_open();
  Millis start = now_ms();
  device.set_silent(true);  // no pings, no pongs, no acks from now on
  REQUIRE(device.wait_socket_closed(kWait));
  Millis elapsed = now_ms() - start;
  INFO("closed after " << elapsed << " ms of silence");
  CHECK(elapsed >= 1'000);
  CHECK(elapsed <= 2'500);  // 1.5 s + a wheel tick + scheduling (sanitizer builds too)
  if (device.closed()) CHECK(device.closed()->reason == Reason::KeepaliveTimeout);
  auto info = h.wait_device("quiet-1", [](const auto& b) { return b["online"] == false; });
  CHECK(info["online"] == false);
}

TEST_CASE("05.2 session: a device that keeps pinging stays open past its keep-alive timeout") {
  Harness h({"--set", "session.min_keepalive_ms=1000"});
  auto options = h.device_options("chatty-1");
  options.keepalive_ms = 1000;
  TestDevice device(options);
  device.connect_and_open();
  device.pump_until(now_ms() + 2'500, [&] { return device.closed().has_value(); });
  CHECK_FALSE(device.closed().has_value());
  h.send_ok("chatty-1", "awake");
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "awake");
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("05.3 session: over its uplink rate a device is not read until the bucket refills") {
  Harness h({"--set", "session.uplink_rate_per_s=100", "--set", "session.uplink_burst=10"});
  TestDevice device(h.device_options("chatty-uplink"));
  device.connect_and_open();
  // 60 messages in one burst: all are read and acknowledged (the bytes are already in), leaving
  // the bucket 50 messages in debt, which takes 0.5 s at 100/s to pay back.
  for (int i = 0; i < 60; ++i)
    REQUIRE(device.publish("r" + std::to_string(i)) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= 60; }));
  Millis sent_at = now_ms();
  REQUIRE(device.publish("one more") == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.uplink_acked_through() >= 61; }));
  Millis waited = now_ms() - sent_at;
  INFO("the message after the burst was read after " << waited << " ms");
  CHECK(waited >= 300);  // throttled: not read while the bucket was in debt
  CHECK(waited <= 3'000);
  CHECK(device.is_open());  // slowed, not disconnected
  h.send_ok("chatty-uplink", "still here");
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "still here");
}

namespace {

// TCP_NODELAY of kited's end of the connection whose client end is `client_fd`: kited's socket
// whose peer is our local address, taken with pidfd_getfd (root, or the same user). -1: no such
// socket in kited.
int kited_nodelay(pid_t kited, int client_fd) {
  sockaddr_storage ours{};
  socklen_t length = sizeof ours;
  REQUIRE(::getsockname(client_fd, reinterpret_cast<sockaddr*>(&ours), &length) == 0);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, kited, 0));
  REQUIRE(pidfd >= 0);
  int found = -1;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(kited) + "/fd")) {
    const int target = std::stoi(entry.path().filename().string());
    const int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target, 0));
    // EPERM: this process may not trace kited (Yama's ptrace_scope, a container's seccomp).
    if (fd < 0 && errno == EPERM) FAIL("pidfd_getfd: not allowed to take kited's sockets");
    if (fd < 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 &&
        peer_length == length && std::memcmp(&peer, &ours, length) == 0) {
      int value = 0;
      socklen_t size = sizeof value;
      if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &size) == 0) found = value;
    }
    ::close(fd);
    if (found >= 0) break;
  }
  ::close(pidfd);
  return found;
}

}  // namespace

TEST_CASE("05.4 session: kited's end of a connection sends small frames at once (TCP_NODELAY)") {
  // Set on each listening socket, which Linux passes on to every connection it accepts.
  const std::uint16_t ws_port = free_port();
  Harness h({"--set", "websocket.listen=127.0.0.1:" + std::to_string(ws_port)});
  for (const std::uint16_t port : {h.kited.device_port(), ws_port}) {
    RawSocket client(port);
    int nodelay = -1;
    for (int attempt = 0; attempt < 200 && nodelay < 0; ++attempt) {  // until kited accepted it
      nodelay = kited_nodelay(h.kited.pid(), client.fd());
      if (nodelay < 0) ::usleep(10'000);
    }
    INFO("port " << port);
    CHECK(nodelay == 1);
  }
}

}  // namespace kite::it
