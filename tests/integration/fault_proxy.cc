// A TCP relay that makes the network bad on purpose (see fault_proxy.h).
#include "fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "test_device.h"

namespace kite::it {
namespace {

constexpr std::size_t kMaxQueued = 1u << 20;  // per direction; above it the sender is not read
constexpr double kBurstBytes = 4096;
// Under a cap, bytes go in writes of at least this many (or what is left of a chunk), so a slow
// link is a few writes a second, not one per refilled byte.
constexpr std::size_t kCapQuantum = 512;
constexpr auto kActionWait = std::chrono::seconds(5);

sockaddr_in address_of(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    throw std::runtime_error("fault proxy: not an IPv4 address: " + host);
  return address;
}

void close_with_reset(int& fd) {
  if (fd < 0) return;
  const linger abort{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
  fd = -1;
}

}  // namespace

FaultProxy::FaultProxy(const std::string& address, const std::string& target,
                       std::uint16_t target_port)
    : target_(address_of(target, target_port)) {  // parsed here, not in the relay thread
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in bound = address_of(address, 0);
  socklen_t length = sizeof bound;
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
      ::listen(listener_, 1024) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    const std::string error = std::strerror(errno);
    ::close(listener_);
    throw std::runtime_error("fault proxy: cannot listen on " + address + ": " + error);
  }
  port_ = ntohs(bound.sin_port);
  thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  thread_.join();
  for (auto& pair : pairs_) {
    if (pair->device >= 0) ::close(pair->device);
    if (pair->kited >= 0) ::close(pair->kited);
  }
  ::close(listener_);
}

void FaultProxy::set_links(Link up, Link down) {
  std::lock_guard lock(mutex_);
  up_ = up;
  down_ = down;
}

void FaultProxy::reset_all() {
  request([this] { reset_requested_ = true; });
}

void FaultProxy::cut_down_after(std::uint64_t bytes) {
  request([&] { cut_request_ = bytes; });
}

void FaultProxy::close_one_side(Side closed) {
  request([&] { close_request_ = static_cast<int>(closed); });
}

// Records an action and waits until the relay applied it (at its next turn, within about 10 ms),
// so a test that acts next knows the fault is in place.
void FaultProxy::request(const std::function<void()>& record) {
  std::unique_lock lock(mutex_);
  record();
  const std::uint64_t mine = ++requested_;
  if (!applied_changed_.wait_for(lock, kActionWait, [&] { return applied_ >= mine; }))
    throw std::runtime_error("fault proxy: the relay did not apply an action within 5 s");
}

FaultProxy::Stats FaultProxy::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void FaultProxy::run() {
  std::vector<pollfd> polled;
  last_turn_ms_ = now_ms();
  while (!stop_.load()) {
    const std::int64_t now = now_ms();
    const Caps caps = apply_actions(now);
    polled.assign(1, pollfd{.fd = listener_, .events = POLLIN, .revents = 0});
    std::int64_t wake_at = now + 10;
    for (const auto& pair : pairs_) {
      for (bool device_side : {true, false}) {
        const Direction& out = device_side ? pair->down : pair->up;
        const Direction& in = device_side ? pair->up : pair->down;
        const std::uint64_t cap = device_side ? caps.down : caps.up;
        short events = 0;
        if (pair->silent || (!in.ended && in.queued < kMaxQueued)) events |= POLLIN;
        if (!pair->silent && writable_now(out, now, cap)) events |= POLLOUT;
        if (!pair->silent) wake_at = std::min(wake_at, next_wake(out, now, cap));
        // An fd with nothing asked is left out: poll would report its hang-up at every turn.
        const int fd = events != 0 ? (device_side ? pair->device : pair->kited) : -1;
        polled.push_back(pollfd{.fd = fd, .events = events, .revents = 0});
      }
    }
    const auto wait = static_cast<int>(std::clamp<std::int64_t>(wake_at - now, 0, 10));
    if (::poll(polled.data(), polled.size(), wait) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "fault proxy: poll: %s; the relay stops\n", std::strerror(errno));
      return;
    }
    if (polled[0].revents & POLLIN) accept_new();
    for (std::size_t i = 0; i < pairs_.size() && 2 + 2 * i < polled.size(); ++i) {
      Pair& pair = *pairs_[i];
      if (polled[1 + 2 * i].revents != 0) read_side(pair, true);
      if (polled[2 + 2 * i].revents != 0) read_side(pair, false);
      write_side(pair, false, now_ms(), caps.up);
      write_side(pair, true, now_ms(), caps.down);
    }
    std::erase_if(pairs_, [](const auto& pair) { return pair->device < 0 && pair->kited < 0; });
  }
}

void FaultProxy::accept_new() {
  for (;;) {
    const int device = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (device < 0) return;
    const int kited = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(device, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(kited, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(kited, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) != 0 &&
        errno != EINPROGRESS) {
      int device_fd = device;
      close_with_reset(device_fd);
      ::close(kited);
      continue;
    }
    auto pair = std::make_unique<Pair>();
    pair->device = device;
    pair->kited = kited;
    pairs_.push_back(std::move(pair));
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
  }
}

// Reads what one side sent and queues it for the other, due after the link's delay. The side
// left open of a half-open pair is read and ignored, and closed once its peer ends it.
void FaultProxy::read_side(Pair& pair, bool from_device) {
  int& fd = from_device ? pair.device : pair.kited;
  if (fd < 0) return;
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (pair.silent) {
    if (n <= 0) close_with_reset(fd);
    return;
  }
  if (n < 0) {  // reset (or worse): passed on as a reset
    reset(pair);
    return;
  }
  Direction& direction = from_device ? pair.up : pair.down;
  if (n == 0) {  // a FIN: passed on after what came before it
    direction.ended = true;
    return;
  }
  Link link;
  {
    std::lock_guard lock(mutex_);
    link = from_device ? up_ : down_;
    (from_device ? stats_.bytes_up : stats_.bytes_down) += static_cast<std::uint64_t>(n);
  }
  std::int64_t due = now_ms() + link.delay_ms;
  if (link.jitter_ms > 0) due += std::uniform_int_distribution<int>(0, link.jitter_ms)(random_);
  direction.last_due_ms = std::max(direction.last_due_ms, due);
  direction.chunks.emplace_back(buffer, static_cast<std::size_t>(n));
  direction.queued += static_cast<std::size_t>(n);
  direction.due.push_back(direction.last_due_ms);
}

// The bytes a write may take now under the cap: the bucket, refilled by the clock.
void FaultProxy::refill(Direction& direction, std::int64_t now, std::uint64_t cap) {
  const double earned =
      static_cast<double>(now - direction.last_fill_ms) * static_cast<double>(cap) / 1000;
  direction.tokens = cap == 0 ? kBurstBytes : std::min(kBurstBytes, direction.tokens + earned);
  direction.last_fill_ms = now;
}

// What the next write of a capped direction must have in its bucket.
std::size_t FaultProxy::write_quantum(const Direction& direction) {
  return std::min(kCapQuantum, direction.chunks.front().size() - direction.offset);
}

bool FaultProxy::writable_now(const Direction& direction, std::int64_t now, std::uint64_t cap) {
  if (direction.chunks.empty() || direction.due.front() > now) return false;
  return cap == 0 || direction.tokens >= static_cast<double>(write_quantum(direction));
}

// When a direction has something to write next without the socket's help: its first chunk
// falls due, or the cap's bucket holds a write's worth. Bytes held only by a full socket wait
// for POLLOUT instead.
std::int64_t FaultProxy::next_wake(const Direction& direction, std::int64_t now,
                                   std::uint64_t cap) {
  if (direction.chunks.empty()) return INT64_MAX;
  if (direction.due.front() > now) return direction.due.front();
  const double short_by = static_cast<double>(write_quantum(direction)) - direction.tokens;
  if (cap == 0 || short_by <= 0) return INT64_MAX;
  return direction.last_fill_ms + 1 +
         static_cast<std::int64_t>(short_by * 1000 / static_cast<double>(cap));
}

// Writes to one side what is due for it, within the link's cap.
void FaultProxy::write_side(Pair& pair, bool to_device, std::int64_t now, std::uint64_t cap) {
  const int fd = to_device ? pair.device : pair.kited;
  Direction& direction = to_device ? pair.down : pair.up;
  if (fd < 0 || pair.silent) return;
  refill(direction, now, cap);
  pass_fin_on(pair, to_device);
  while (writable_now(direction, now, cap)) {
    const std::string& chunk = direction.chunks.front();
    std::size_t allowed = chunk.size() - direction.offset;
    if (cap != 0) allowed = std::min(allowed, static_cast<std::size_t>(direction.tokens));
    if (to_device)
      allowed = static_cast<std::size_t>(std::min<std::uint64_t>(allowed, direction.cut_after));
    if (to_device && direction.cut_after == 0) {
      reset(pair);  // the cut: the device saw part of a frame
      return;
    }
    const ssize_t n = ::write(fd, chunk.data() + direction.offset, allowed);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) reset(pair);  // as a router drops the whole flow
      return;
    }
    direction.offset += static_cast<std::size_t>(n);
    if (cap != 0) direction.tokens -= static_cast<double>(n);
    if (to_device && direction.cut_after != UINT64_MAX)
      direction.cut_after -= static_cast<std::uint64_t>(n);
    if (direction.offset == chunk.size()) {
      direction.queued -= chunk.size();
      direction.chunks.pop_front();
      direction.due.pop_front();
      direction.offset = 0;
    }
  }
  pass_fin_on(pair, to_device);
}

// A side that closed gets its FIN passed on once everything it sent was; when both have, the
// pair is done.
void FaultProxy::pass_fin_on(Pair& pair, bool to_device) {
  Direction& direction = to_device ? pair.down : pair.up;
  const int fd = to_device ? pair.device : pair.kited;
  if (!direction.ended || direction.fin_sent || !direction.chunks.empty() || fd < 0) return;
  ::shutdown(fd, SHUT_WR);
  direction.fin_sent = true;
  if (pair.up.fin_sent && pair.down.fin_sent) {
    ::close(pair.device);
    ::close(pair.kited);
    pair.device = pair.kited = -1;
  }
}

// The actions requested since the last turn, and random resets; then the waiting requests are
// told. Returns the caps for this turn.
FaultProxy::Caps FaultProxy::apply_actions(std::int64_t now) {
  bool reset_all = false;
  std::uint64_t cut = UINT64_MAX;
  int close_side = -1;
  double reset_per_s = 0;
  Caps caps;
  std::uint64_t requested = 0;
  {
    std::lock_guard lock(mutex_);
    std::swap(reset_all, reset_requested_);
    std::swap(cut, cut_request_);
    std::swap(close_side, close_request_);
    reset_per_s = std::max(up_.reset_per_s, down_.reset_per_s);
    caps = {up_.bytes_per_s, down_.bytes_per_s};
    requested = requested_;
  }
  const double elapsed_s = static_cast<double>(now - last_turn_ms_) / 1000;
  last_turn_ms_ = now;
  std::uniform_real_distribution<double> chance(0, 1);
  for (auto& pair : pairs_) {
    if (pair->silent) continue;
    if (reset_all || (reset_per_s > 0 && chance(random_) < reset_per_s * elapsed_s)) {
      reset(*pair);
      continue;
    }
    if (cut != UINT64_MAX) pair->down.cut_after = cut;
    if (close_side >= 0) {
      int& closed = close_side == static_cast<int>(Side::Device) ? pair->device : pair->kited;
      ::close(closed);  // a FIN: that side sees the connection end
      closed = -1;
      pair->silent = true;  // the other side hears nothing from now on
      pair->up = {};
      pair->down = {};
    }
  }
  std::erase_if(pairs_, [](const auto& pair) { return pair->device < 0 && pair->kited < 0; });
  {
    std::lock_guard lock(mutex_);
    applied_ = requested;
  }
  applied_changed_.notify_all();
  return caps;
}

void FaultProxy::reset(Pair& pair) {
  close_with_reset(pair.device);
  close_with_reset(pair.kited);
  pair.up = {};
  pair.down = {};
  std::lock_guard lock(mutex_);
  ++stats_.resets;
}

}  // namespace kite::it
