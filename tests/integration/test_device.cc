// The test device client: socket I/O around a client Session (see test_device.h).
#include "test_device.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "kite/protocol/handshake_crypto.h"
#include "kite/websocket/client_opening.h"
#include "kited_process.h"
#include "raw_socket.h"

namespace kite::it {
namespace {

constexpr std::size_t kReadBytes = 64 * 1024;
constexpr Millis kNever = std::numeric_limits<Millis>::max();

}  // namespace

Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TestDevice::TestDevice(DeviceOptions options)
    : options_(std::move(options)), read_words_(kReadBytes / 8 + 1) {}

TestDevice::~TestDevice() {
  close_fd();
}

void TestDevice::connect(bool resume) {
  close_fd();
  eof_ = false;
  opened_ = false;
  resumed_ = false;
  closed_.reset();
  pending_.clear();
  silent_ = false;
  reading_ = true;

  protocol::SessionConfig config;
  config.keepalive_ms = options_.keepalive_ms;
  config.receive_window = options_.receive_window;
  if (options_.max_frame != 0) config.max_frame = options_.max_frame;
  session_ = std::make_unique<protocol::Session>(protocol::Role::Client, config, *this, now_ms());

  fd_ = connect_tcp(options_.port, options_.source_ip, options_.rcvbuf);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  websocket_.reset();
  if (!options_.websocket_path.empty() && !upgrade()) {
    closed_ = Closed{Reason::None, true, 0, "WebSocket upgrade: " + std::string(websocket_->why())};
    return;
  }

  protocol::ClientCredentials credentials;
  credentials.device_id = options_.id;
  credentials.method = options_.method;
  credentials.key =
      options_.key ? *options_.key : protocol::derive_device_key(master_key(), options_.id);
  credentials.token = options_.token;
  protocol::random_bytes(credentials.nonce);
  credentials.agent = "kite-integration-tests";
  protocol::ResumeRequest request;
  if (resume) {
    request.token = resume_token_;
    request.last_received_seq = last_received_seq_;
    request.store_epoch = store_epoch_;
  }
  session_->start(credentials, request, now_ms());
  service();
}

void TestDevice::connect_and_open(int timeout_ms, bool resume) {
  connect(resume);
  if (!wait_open(timeout_ms)) {
    std::string why = closed_ ? std::string(protocol::reason_name(closed_->reason)) + " (" +
                                    closed_->message + ")"
                              : "timeout";
    throw std::runtime_error("device " + options_.id + " did not open: " + why);
  }
}

bool TestDevice::wait_open(int timeout_ms) {
  return pump_until(now_ms() + timeout_ms, [&] { return opened_ || closed_.has_value(); }) &&
         opened_;
}

std::optional<Received> TestDevice::next_message(int timeout_ms) {
  pump_until(now_ms() + timeout_ms, [&] { return !inbox_.empty(); });
  if (inbox_.empty()) return std::nullopt;
  Received r = std::move(inbox_.front());
  inbox_.pop_front();
  return r;
}

std::vector<Received> TestDevice::take_messages(std::size_t count, int timeout_ms) {
  pump_until(now_ms() + timeout_ms, [&] { return inbox_.size() >= count; });
  std::vector<Received> out(std::make_move_iterator(inbox_.begin()),
                            std::make_move_iterator(inbox_.end()));
  inbox_.clear();
  return out;
}

void TestDevice::acknowledge(std::uint64_t seq) {
  if (session_) session_->acknowledge(seq, now_ms());
  service();
}

std::optional<Closed> TestDevice::wait_closed(int timeout_ms) {
  pump_until(now_ms() + timeout_ms, [&] { return closed_.has_value(); });
  return closed_;
}

bool TestDevice::wait_socket_closed(int timeout_ms) {
  return pump_until(now_ms() + timeout_ms, [&] { return socket_closed(); });
}

void TestDevice::close() {
  if (session_ && !closed_) session_->close(Reason::NormalClose, "test device leaves");
  // Give the goodbye to the socket, then go.
  if (fd_ >= 0) {
    pending_.clear();
    std::vector<std::uint8_t> bytes, framed;
    if (session_) session_->take_output(bytes);
    if (websocket_) {
      websocket_->end(Reason::NormalClose);
      websocket_->write(bytes, framed);
      bytes.swap(framed);
    }
    if (!bytes.empty()) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  close_fd();
}

void TestDevice::drop() {
  if (fd_ >= 0) {
    linger reset{1, 0};  // RST: nothing queued is sent
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  close_fd();
}

void TestDevice::send_raw(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> out;
  if (session_ && session_->has_output()) session_->take_output(out);
  out.insert(out.end(), bytes.begin(), bytes.end());
  send_framed(out);
}

protocol::SendStatus TestDevice::publish(const std::string& payload, protocol::Qos qos) {
  protocol::OutgoingMessage message;
  message.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  message.qos = qos;
  auto status = session_->publish(message, now_ms());
  service();
  return status;
}

protocol::SendStatus TestDevice::publish_to(const std::string& target, const std::string& payload,
                                            protocol::Qos qos, const std::string& conflation_key,
                                            bool flush, const std::string& message_id) {
  protocol::OutgoingMessage message;
  message.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  message.qos = qos;
  message.target = target;
  message.conflation_key = conflation_key;
  message.message_id = message_id;
  auto status = session_->publish(message, now_ms());
  if (flush) service();
  return status;
}

protocol::SendStatus TestDevice::subscribe(const std::vector<std::string>& groups, bool join) {
  auto status = session_->subscribe(next_request_id_++, join, groups, now_ms());
  service();
  return status;
}

void TestDevice::on_subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string_view> groups) {
  if (request_id != protocol::limits::kGroupAnnouncement)
    group_confirmations_.push_back(request_id);
  for (auto group : groups) {
    if (join)
      groups_.emplace(group);
    else
      groups_.erase(std::string(group));
  }
}

void TestDevice::on_command(const protocol::CommandInfo& command) {
  std::string payload(reinterpret_cast<const char*>(command.payload.data()),
                      command.payload.size());
  commands_.emplace_back(std::string(command.name), payload);
  if (!options_.reply_to_commands) return;
  const std::string answer = std::string(command.name) + ":" + payload;
  session_->reply(
      {command.id, 0, {reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size()}},
      now_ms());
}

void TestDevice::on_error(Reason reason, std::uint64_t ref, std::string_view) {
  errors_.push_back({reason, ref});
}

bool TestDevice::pump_until(Millis deadline, const std::function<bool()>& done) {
  TestDevice* self = this;
  Millis left = std::max<Millis>(deadline - now_ms(), 0);
  return pump_devices(std::span<TestDevice* const>(&self, 1), static_cast<int>(left), done);
}

void TestDevice::on_readable() {
  if (fd_ < 0 || eof_) return;
  for (int reads = 0; reads < 16; ++reads) {
    std::size_t offset = session_ ? session_->decoder().read_offset_hint() : 0;
    auto* base = reinterpret_cast<std::uint8_t*>(read_words_.data()) + offset;
    ssize_t n = ::recv(fd_, base, kReadBytes, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {  // EOF or reset
      eof_ = true;
      if (session_) session_->receive_end(now_ms());
      break;
    }
    if (websocket_) {
      websocket_->receive({base, static_cast<std::size_t>(n)}, session_.get(), now_ms());
      if (websocket_->ended() && session_) session_->receive_end(now_ms());
    } else if (session_) {
      session_->receive({base, static_cast<std::size_t>(n)}, now_ms());
    }
  }
  service();
}

// The WebSocket opening, before the session starts: the request, then the answer read until the
// layer opens or ends, or 5 s pass.
bool TestDevice::upgrade() {
  kite::websocket::ClientOpeningOptions opening{"127.0.0.1:" + std::to_string(options_.port),
                                                options_.websocket_path, options_.origin};
  websocket_ = std::make_unique<kite::websocket::WebSocketLayer>(
      kite::websocket::Side::Client,
      std::make_unique<kite::websocket::ClientOpening>(std::move(opening)));
  std::vector<std::uint8_t> none;
  send_framed(none);
  const Millis deadline = now_ms() + 5'000;
  std::vector<std::uint8_t> buffer(4096);
  while (!websocket_->open() && !websocket_->ended() && now_ms() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    websocket_->receive({buffer.data(), static_cast<std::size_t>(n)}, nullptr, now_ms());
  }
  return websocket_->open();
}

void TestDevice::send_framed(std::vector<std::uint8_t>& bytes) {
  if (!websocket_) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  } else {
    websocket_->write(bytes, pending_);
  }
  flush_socket();
}

void TestDevice::service() {
  if (!session_) return;
  if (!silent_) {
    if (now_ms() >= session_->next_deadline()) session_->tick(now_ms());
    if (session_->has_output() || (websocket_ && websocket_->has_output())) {
      std::vector<std::uint8_t> out;
      session_->take_output(out);
      send_framed(out);
      return;
    }
  }
  flush_socket();
}

Millis TestDevice::next_wakeup() const {
  if (!session_ || silent_) return kNever;
  return session_->next_deadline();
}

void TestDevice::flush_socket() {
  if (fd_ < 0 || pending_.empty() || silent_) return;
  while (!pending_.empty()) {
    ssize_t n = ::send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // the server is gone
      pending_.clear();
      return;
    }
    pending_.erase(pending_.begin(), pending_.begin() + n);
  }
}

void TestDevice::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TestDevice::on_open(const protocol::OpenInfo& info) {
  opened_ = true;
  resumed_ = info.resumed;
  resume_token_.assign(info.resume_token.begin(), info.resume_token.end());
  store_epoch_ = info.store_epoch;
  groups_.clear();
  for (auto group : info.groups) groups_.emplace(group);
  welcome_groups_ = info.groups.size();
  groups_total_ = info.groups_total;
  server_last_received_ = info.peer_last_received;
}

void TestDevice::on_message(const protocol::IncomingMessage& message) {
  Received r;
  r.seq = message.seq;
  r.qos = message.qos;
  r.payload.assign(reinterpret_cast<const char*>(message.payload.data()), message.payload.size());
  r.topic = std::string(message.topic);
  r.ttl_ms = message.ttl_ms;
  inbox_.push_back(std::move(r));
  ++delivered_;
  if (message.qos == protocol::Qos::AtLeastOnce) {
    last_received_seq_ = std::max(last_received_seq_, message.seq);
    if (options_.auto_ack) session_->acknowledge(message.seq, now_ms());
  }
}

void TestDevice::on_close(const protocol::CloseInfo& info) {
  closed_ = Closed{info.reason, info.by_peer, info.reconnect_after_ms, std::string(info.message)};
}

bool pump_devices(std::span<TestDevice* const> devices, int timeout_ms,
                  const std::function<bool()>& done) {
  const Millis deadline = now_ms() + timeout_ms;
  std::vector<pollfd> fds;
  std::vector<TestDevice*> owners;
  for (;;) {
    for (TestDevice* d : devices) d->service();
    if (done()) return true;
    Millis now = now_ms();
    if (now >= deadline) return false;
    Millis wake = deadline;
    fds.clear();
    owners.clear();
    for (TestDevice* d : devices) {
      wake = std::min(wake, d->next_wakeup());
      short events = (d->wants_read() ? POLLIN : 0) | (d->wants_write() ? POLLOUT : 0);
      if (events == 0) continue;
      fds.push_back({d->fd(), events, 0});
      owners.push_back(d);
    }
    int wait = static_cast<int>(std::clamp<Millis>(wake - now, 0, 50));
    int ready = ::poll(fds.data(), fds.size(), wait);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) owners[i]->on_readable();
      if (fds[i].revents & POLLOUT) owners[i]->service();
    }
  }
}

}  // namespace kite::it
