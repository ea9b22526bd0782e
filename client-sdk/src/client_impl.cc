#include "client_impl.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "dictionaries.h"
#include "kite/protocol/limits.h"
#include "kite/protocol/reason.h"
#include "kite/tls/channel.h"
#include "start_checks.h"
#include "tls_context.h"

namespace kite {
namespace {

using protocol::Millis;
using protocol::Reason;
constexpr Millis kNever = -1;
// Request ids live far above any uplink seq, so an error frame's `ref` names one or the other.
constexpr std::uint64_t kFirstRequestId = std::uint64_t{1} << 62;
// Uplink is not fed to a socket that has this much unwritten: the queue holds the rest.
constexpr std::size_t kWriteHighWater = 64u << 10;
constexpr std::size_t kReadBuffer = 64u << 10;

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string_view text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

protocol::SessionConfig session_config(const ClientOptions& options) {
  protocol::SessionConfig config;
  config.keepalive_ms = options.keepalive_ms;
  config.receive_window =
      std::clamp<std::uint32_t>(options.credit_window, 1, protocol::limits::kMaxCredit);
  config.handshake_timeout = options.connect_timeout_ms;
  return config;
}

std::uint64_t seed_from(const ClientOptions& options) {
  if (options.jitter_seed != 0) return options.jitter_seed;
  std::uint64_t seed = 0;
  protocol::random_bytes({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  return seed ^
         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

// One TCP connection. Freed by libuv's close callback, never before: the handle outlives
// whatever the client does with it.
struct Client::Impl::Link {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_shutdown_t shutdown{};
  Impl* impl = nullptr;
  bool connected = false;
  bool closing = false;
  // Plain TCP, or with TLS ciphertext on the socket and the session's frames inside (the
  // channel made once TCP connects).
  tls::WirePipe wire;
  tls::TlsChannel* tls() { return wire.channel(); }
};

struct Client::Impl::WriteRequest {
  uv_write_t request{};
  std::vector<std::uint8_t> data;
};

// ---------------------------------------------------------------------------------------------
// Entry points

Client::Impl::Scope::Scope(Impl& impl) : impl_(impl), lock_(impl.mutex_) {
  ++impl_.depth_;
}

Client::Impl::Scope::~Scope() {
  if (--impl_.depth_ != 0) return;
  if (impl_.on_loop_thread()) {
    impl_.settle();
  } else if (impl_.started_ && !impl_.handles_closed_) {
    uv_async_send(&impl_.wake_);
  }
}

Client::Impl::Impl(ClientOptions options, uv_loop_t* loop)
    : options_(std::move(options)),
      loop_(loop),
      backoff_(options_.backoff_initial_ms, options_.backoff_max_ms, seed_from(options_)),
      queue_(options_.max_queued, options_.max_queued_bytes),
      next_request_id_(kFirstRequestId) {
  if (!loop_) {
    own_loop_ = std::make_unique<uv_loop_t>();
    uv_loop_init(own_loop_.get());
    loop_ = own_loop_.get();
  } else {
    loop_thread_ = std::this_thread::get_id();
  }
  uv_timer_init(loop_, &timer_);
  uv_async_init(loop_, &wake_, on_wake);
  timer_.data = wake_.data = this;
  open_handles_ = 2;
}

Client::Impl::~Impl() {
  if (own_loop_) {
    // Thread mode: detach() ran the loop to its end; close what a never-started client holds.
    if (!handles_closed_) {
      close_handles();
      uv_run(loop_, UV_RUN_DEFAULT);
    }
    uv_loop_close(loop_);
  }
}

bool Client::Impl::on_loop_thread() const {
  return std::this_thread::get_id() == loop_thread_;
}

Millis Client::Impl::now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// Public API

void Client::Impl::set_message_handler(std::function<void(const Message&)> handler) {
  Scope scope(*this);
  message_handler_ = std::move(handler);
}

void Client::Impl::set_command_handler(std::function<Reply(const Command&)> handler) {
  Scope scope(*this);
  command_handler_ = std::move(handler);
}

void Client::Impl::set_state_handler(std::function<void(const StateChange&)> handler) {
  Scope scope(*this);
  state_handler_ = std::move(handler);
}

Error Client::Impl::start() {
  std::unique_lock lock(mutex_);
  if (stopping_ || stopped_) return Error::Stopped;
  if (started_) return Error::Ok;
  // libuv's rule: an error here fires no callback, so the reason is kept for start_error().
  start_error_ = sdk::check_options(options_, credentials_);
  if (start_error_.empty() && options_.tls.enabled)
    tls_context_ = sdk::make_tls_context(options_, start_error_);
  protocol::SessionConfig config = session_config(options_);
  if (start_error_.empty())
    start_error_ = sdk::load_dictionaries(options_.dictionary_files, config);
  if (!start_error_.empty()) return Error::Invalid;
  context_.emplace(std::move(config));
  started_ = true;
  self_ = shared_from_this();
  if (own_loop_) {
    thread_ = std::thread([this] {
      {
        Scope scope(*this);
        loop_thread_ = std::this_thread::get_id();
        begin_attempt();
      }
      uv_run(loop_, UV_RUN_DEFAULT);
    });
    return Error::Ok;
  }
  lock.unlock();
  Scope scope(*this);
  begin_attempt();
  return Error::Ok;
}

std::string Client::Impl::start_error() const {
  std::lock_guard lock(mutex_);
  return start_error_;
}

void Client::Impl::stop() {
  Scope scope(*this);
  if (!started_) {
    stopped_ = stopping_ = true;
    return;
  }
  stopping_ = true;
}

void Client::Impl::detach() {
  {
    std::lock_guard lock(mutex_);
    message_handler_ = nullptr;
    command_handler_ = nullptr;
    state_handler_ = nullptr;
    // On the caller's loop the handles close after this returns: the Impl waits for them.
    if (!own_loop_ && !self_ && open_handles_ > 0) self_ = shared_from_this();
  }
  stop();
  if (thread_.joinable()) thread_.join();
}

Error Client::Impl::publish(const Publish& message, Completion done) {
  Scope scope(*this);
  if (!started_) return stopped_ ? Error::Stopped : Error::NotStarted;
  if (stopping_ || stopped_) return Error::Stopped;
  if (message.topic.size() > protocol::limits::kTopic ||
      message.content_type.size() > protocol::limits::kContentType)
    return Error::Invalid;
  if (message.payload.size() > context_->config().max_frame) return Error::TooLarge;
  return queue_.push(message, std::move(done), now());
}

Error Client::Impl::subscribe(bool join, std::string_view group, Completion done) {
  Scope scope(*this);
  if (!started_) return stopped_ ? Error::Stopped : Error::NotStarted;
  if (stopping_ || stopped_) return Error::Stopped;
  if (group.empty() || group.size() > protocol::limits::kGroupName ||
      std::any_of(group.begin(), group.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Error::Invalid;
  if (groups_.size() >= options_.max_queued) return Error::QueueFull;
  groups_.push_back({next_request_id_++, join, std::string(group), std::move(done)});
  return Error::Ok;
}

State Client::Impl::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::size_t Client::Impl::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

// ---------------------------------------------------------------------------------------------
// Settling: everything that touches libuv or calls the app back outside a session callback.

void Client::Impl::settle() {
  if (settling_ || handles_closed_) return;
  settling_ = true;
  for (;;) {
    if (ending_) end_connection();
    if (stopping_ && !stopped_) {
      if (session_ && session_->state() != protocol::Session::State::Closed) {
        session_->close(Reason::NormalClose, "client stopped");  // -> on_close -> ending_
        continue;
      }
      if (link_ && !link_->closing) {
        ending_ = Ending{"Stopped", "stopped by the app"};
        continue;
      }
      if (!session_) finish_stop("Stopped", "stopped by the app");
    }
    pump();
    flush();
    // App callbacks last, on a consistent client; they may add work, hence the loop.
    std::vector<sdk::Finished> finished;
    finished.swap(finished_);
    std::vector<Notice> notices;
    notices.swap(notices_);
    const bool called_back = !finished.empty() || !notices.empty();
    for (auto& f : finished) f.done(f.error, f.detail);
    for (auto& n : notices)
      if (state_handler_)
        state_handler_(StateChange{n.state, n.reason, n.detail, n.resumed, n.retry_in_ms,
                                   n.tls_resumed, n.dictionary});
    // A callback may have published, joined or stopped: go round once more to act on it.
    if (!called_back && !ending_ && !(stopping_ && !stopped_)) break;
  }
  if (stopped_) {
    close_handles();
  } else {
    rearm_timer();
  }
  settling_ = false;
}

void Client::Impl::notify(Notice notice) {
  state_ = notice.state;
  notices_.push_back(std::move(notice));
}

void Client::Impl::begin_attempt() {
  reconnect_at_ = kNever;
  last_connect_error_.clear();
  connect_deadline_ = now() + options_.connect_timeout_ms;
  notify({.state = State::Connecting});
  auto* request = new uv_getaddrinfo_t;
  request->data = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(options_.port);
  int status =
      uv_getaddrinfo(loop_, request, on_resolved, options_.host.c_str(), port.c_str(), &hints);
  if (status < 0) {
    delete request;
    return fail_attempt("ResolveFailed", uv_strerror(status));
  }
  resolving_ = true;
  ++open_handles_;
}

void Client::Impl::on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* result) {
  auto* self = static_cast<Impl*>(request->data);
  delete request;
  {
    Scope scope(*self);
    self->resolving_ = false;
    if (status == UV_ECANCELED || self->stopping_) {
      // stop() came first: nothing to connect.
    } else if (status < 0 || !result) {
      self->fail_attempt("ResolveFailed", uv_strerror(status));
    } else {
      // Every address, in the resolver's order: "localhost" may give ::1 first to a server
      // that listens on 127.0.0.1 only.
      self->addresses_.clear();
      for (const addrinfo* a = result; a; a = a->ai_next) {
        if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
        sockaddr_storage address{};
        std::memcpy(&address, a->ai_addr, a->ai_addrlen);
        self->addresses_.push_back(address);
      }
      self->next_address_ = 0;
      self->connect_next();
    }
    if (result) uv_freeaddrinfo(result);
  }
  self->release_handle();
}

void Client::Impl::connect_next() {
  if (next_address_ >= addresses_.size())
    return fail_attempt("ConnectFailed",
                        last_connect_error_.empty() ? "no address" : last_connect_error_);
  const auto& address = addresses_[next_address_++];
  connect_to(reinterpret_cast<const sockaddr*>(&address));
}

void Client::Impl::connect_to(const sockaddr* address) {
  auto* link = new Link;
  link->impl = this;
  uv_tcp_init(loop_, &link->tcp);
  link->tcp.data = link;
  ++open_handles_;
  link_ = link;
  uv_tcp_nodelay(&link->tcp, 1);
  link->connect.data = link;
  int status = uv_tcp_connect(&link->connect, &link->tcp, address, on_connected);
  if (status < 0) {
    last_connect_error_ = uv_strerror(status);
    close_link(/*graceful=*/false);
    connect_next();
  }
}

void Client::Impl::on_connected(uv_connect_t* request, int status) {
  auto* link = static_cast<Link*>(request->data);
  if (status == UV_ECANCELED || link->closing) return;
  Impl& self = *link->impl;
  Scope scope(self);
  if (status < 0) {
    self.last_connect_error_ = uv_strerror(status);
    self.close_link(/*graceful=*/false);
    return self.connect_next();
  }
  self.last_connect_error_.clear();
  link->connected = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&link->tcp), on_alloc, on_read);
  // With TLS the Hello waits for the TLS handshake (on_tls_established); the ClientHello is
  // ready now, and flush() sends it when this callback settles.
  if (self.tls_context_) {
    link->wire = tls::WirePipe(self.tls_context_);
    return;
  }
  self.start_session();
}

void Client::Impl::start_session() {
  Millis t = now();
  session_ = std::make_unique<protocol::Session>(protocol::Role::Client, *context_, *this, t);
  protocol::random_bytes(credentials_.nonce);
  session_->start(credentials_, resume_request(), t);
}

protocol::ResumeRequest Client::Impl::resume_request() const {
  return {resume_token_, last_received_seq_, store_epoch_, next_uplink_seq_};
}

// A failure before any session existed (resolve, connect): the same path as a lost connection.
void Client::Impl::fail_attempt(std::string reason, std::string detail) {
  if (!ending_) ending_ = Ending{std::move(reason), std::move(detail)};
}

// ---------------------------------------------------------------------------------------------
// Reading and writing

void Client::Impl::on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  // Allocated per read and freed after it: an idle client holds no read buffer.
  buf->base = static_cast<char*>(std::malloc(kReadBuffer));
  buf->len = buf->base ? kReadBuffer : 0;
}

void Client::Impl::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* link = static_cast<Link*>(stream->data);
  std::unique_ptr<char, decltype(&std::free)> owned(buf->base, &std::free);
  if (nread == 0 || link->closing) return;
  Impl& self = *link->impl;
  Scope scope(self);
  if (link != self.link_ || (!self.session_ && !link->tls())) return;
  if (nread > 0) {
    std::span<std::uint8_t> buffer{reinterpret_cast<std::uint8_t*>(buf->base), buf->len};
    self.after_arrival(link->wire.receive(buffer, static_cast<std::size_t>(nread), self, now()));
  } else if (nread == UV_EOF) {
    // A goodbye from kited would have ended the session already: this end came without one
    // (kited killed, a proxy or NAT dropping the connection), whatever the session makes of it.
    if (!self.ending_) self.ending_ = self.transport_ended({});
    if (self.session_) self.session_->receive_end(now());
  } else if (!self.ending_) {
    self.ending_ = self.transport_ended(uv_strerror(static_cast<int>(nread)));
  }
}

void Client::Impl::on_tls_established() {
  if (!session_) start_session();
}

void Client::Impl::after_arrival(tls::WirePipe::Arrival arrival) {
  if (ending_ || arrival == tls::WirePipe::Arrival::Ok) return;
  if (arrival == tls::WirePipe::Arrival::TlsFailed) {
    ending_ = Ending{"TlsFailed", std::string(link_->tls()->failure_reason())};
    ending_->send_alert = true;
    return;
  }
  // close_notify without a goodbye frame first: as good as an EOF to the session.
  ending_ = Ending{"ConnectionLost", "kited closed the TLS connection without a goodbye"};
  if (session_) session_->receive_end(now());
}

// A socket error (`what`), or EOF (empty). Not TlsFailed even during the TLS handshake: kited
// gives its TLS verdicts as alerts, and closes without one when it refuses the connection
// itself (too many failed attempts from this address, a network it does not serve).
Client::Impl::Ending Client::Impl::transport_ended(std::string what) const {
  const bool handshaking = link_ && link_->tls() && !link_->tls()->handshake_done();
  if (what.empty())
    what = handshaking ? "kited closed the connection"
                       : "kited closed the connection without a goodbye";
  if (handshaking) what += " during the TLS handshake";
  return Ending{"ConnectionLost", std::move(what)};
}

// What is ready for the socket: the session's frames, or with TLS their records and whatever
// the channel has to say by itself (handshake flights, alerts, close_notify). The session's
// buffer is freed once taken: an idle client holds no plaintext buffer.
void Client::Impl::take_wire_output(std::vector<std::uint8_t>& out) {
  link_->wire.take_output(session_.get(), *this, out);
  if (tls::TlsChannel* tls = link_->tls(); tls && tls->failed() && !ending_) {
    ending_ = Ending{"TlsFailed", std::string(tls->failure_reason())};
    ending_->send_alert = true;
  }
}

void Client::Impl::flush() {
  if (!link_ || !link_->connected || link_->closing) return;
  if (!link_->wire.has_output(session_.get())) return;
  auto* write = new WriteRequest;
  take_wire_output(write->data);
  if (write->data.empty()) {  // frames a closed TLS channel cannot take any more
    delete write;
    return;
  }
  write->request.data = this;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->data.data()),
                             static_cast<unsigned>(write->data.size()));
  int status =
      uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&link_->tcp), &buf, 1, on_written);
  if (status < 0) {
    delete write;
    if (!ending_) ending_ = Ending{"ConnectionLost", uv_strerror(status)};
  }
}

void Client::Impl::on_written(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<WriteRequest*>(request);
  auto* self = static_cast<Impl*>(request->data);
  delete write;
  if (status == UV_ECANCELED) return;
  Scope scope(*self);
  if (status < 0 && !self->ending_ && self->link_ && !self->link_->closing)
    self->ending_ = Ending{"ConnectionLost", uv_strerror(status)};
  // Room in the socket again: settle() pumps the queue.
}

void Client::Impl::pump() {
  if (!session_ || !session_->is_open() || !link_ || link_->closing) return;
  // Bytes the socket has yet to take: ciphertext queued in libuv and in the TLS channel, plus
  // frames not yet encrypted (within a few bytes per record of their ciphertext).
  const auto writable = [this] {
    return uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&link_->tcp)) +
               (link_->tls() ? link_->tls()->output_size() : 0) + session_->output().size() <
           kWriteHighWater;
  };
  Millis t = now();
  for (auto& request : groups_) {
    if (request.sent) continue;
    std::string group[1] = {request.group};
    if (session_->subscribe(request.id, request.join, group, t) != protocol::SendStatus::Sent)
      break;
    request.sent = true;
  }
  if (!writable()) return;
  queue_.pump(
      [&](const sdk::UplinkQueue::Entry& entry, std::uint32_t ttl) -> sdk::SendResult {
        if (!writable()) return {protocol::SendStatus::NoCredit};
        protocol::OutgoingMessage m;
        m.payload = bytes(entry.payload);
        m.topic = entry.topic;
        m.content_type = entry.content_type;
        m.qos = entry.at_least_once ? protocol::Qos::AtLeastOnce : protocol::Qos::AtMostOnce;
        m.ttl_ms = ttl;
        std::uint64_t seq = entry.seq;
        auto status =
            seq != 0 ? session_->publish_stored(seq, m, t) : session_->publish(m, t, &seq);
        if (status == protocol::SendStatus::Sent && entry.at_least_once)
          next_uplink_seq_ = std::max(next_uplink_seq_, seq + 1);
        return {status, seq};
      },
      t, finished_);
}

// ---------------------------------------------------------------------------------------------
// Session events

void Client::Impl::on_open(const protocol::OpenInfo& info) {
  Millis t = now();
  opened_at_ = t;
  connect_deadline_ = kNever;
  resume_token_.assign(info.resume_token.begin(), info.resume_token.end());
  store_epoch_ = info.store_epoch;
  if (!info.resumed) {
    last_received_seq_ = 0;
    next_uplink_seq_ = info.peer_last_received + 1;
  }
  queue_.reopened(info.resumed, info.peer_last_received, finished_);
  for (auto& request : groups_) request.sent = false;  // unconfirmed ones go again
  const bool tls_resumed = link_ && link_->tls() && link_->tls()->resumed();
  notify({State::Connected, {}, {}, info.resumed, 0, tls_resumed, info.dictionary});
}

void Client::Impl::on_message(const protocol::IncomingMessage& m) {
  // After stop() (say, from the handler of an earlier message of the same read) the app wants
  // no more: the rest stays unacknowledged, and kited keeps the QoS 1 ones for the next session.
  if (stopping_) return;
  if (message_handler_) {
    Message message{text(m.payload), m.topic, m.content_type,
                    m.message_id,    m.seq,   m.qos == protocol::Qos::AtLeastOnce};
    message_handler_(message);
  }
  // Returning from the handler is the app's acknowledgement.
  if (m.qos == protocol::Qos::AtLeastOnce) last_received_seq_ = std::max(last_received_seq_, m.seq);
  if (session_) session_->acknowledge(m.seq, now());
}

void Client::Impl::on_acked(std::uint64_t seq) {
  queue_.acked(seq, finished_);
}

void Client::Impl::on_command(const protocol::CommandInfo& command) {
  Reply reply{501, "this device has no command handler"};
  if (command_handler_)
    reply = command_handler_(Command{command.name, text(command.payload), command.timeout_ms});
  if (!session_) return;
  if (session_->reply({command.id, reply.status, bytes(reply.payload)}, now()) ==
      protocol::SendStatus::TooLarge) {
    // Said now rather than left to the backend's timeout.
    const std::string why = "the device's reply (" + std::to_string(reply.payload.size()) +
                            " bytes) is larger than a frame may carry";
    session_->reply({command.id, kReplyTooLarge, bytes(why)}, now());
  }
}

void Client::Impl::on_subscribe(std::uint64_t request_id, bool /*join*/,
                                std::span<const std::string_view> /*groups*/) {
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupRequest& r) { return r.id == request_id; });
  if (it == groups_.end()) return;
  if (it->done) finished_.push_back({std::move(it->done), Error::Ok, {}});
  groups_.erase(it);
}

void Client::Impl::on_error(Reason reason, std::uint64_t ref, std::string_view message) {
  std::string why = std::string(protocol::reason_name(reason));
  if (!message.empty()) why += ": " + std::string(message);
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupRequest& r) { return r.id == ref; });
  if (it != groups_.end()) {
    if (it->done) finished_.push_back({std::move(it->done), Error::Refused, why});
    groups_.erase(it);
    return;
  }
  queue_.refused(ref, why, finished_);
}

void Client::Impl::on_close(const protocol::CloseInfo& info) {
  if (ending_) return;
  ending_ = Ending{std::string(protocol::reason_name(info.reason)), std::string(info.message),
                   info.reason, info.reconnect_after_ms};
}

// ---------------------------------------------------------------------------------------------
// The end of a connection, and what comes next

void Client::Impl::end_connection() {
  Ending ending = std::move(*ending_);
  flush();  // the session's last words (an error frame, a goodbye) go before the close
  const bool graceful = ending.code != Reason::None || ending.send_alert;
  if (graceful && link_ && link_->tls() && link_->tls()->state() == tls::TlsChannel::State::Open) {
    link_->tls()->close();  // close_notify after the goodbye
    flush();
  }
  close_link(graceful);
  ending_.reset();  // only now: a write failing in the flushes above must not end it twice
  session_.reset();
  connect_deadline_ = kNever;
  Millis t = now();
  const bool stable = opened_at_ != kNever && t - opened_at_ >= options_.stable_after_ms;
  opened_at_ = kNever;

  if (stopping_) return finish_stop("Stopped", "stopped by the app");
  if (ending.code == Reason::Replaced || ending.code == Reason::Revoked ||
      !protocol::reconnect_allowed(ending.code)) {
    // For good: retrying would fight a newer connection or repeat a refusal.
    stopping_ = true;
    stopped_ = true;
    std::string why = ending.reason + (ending.detail.empty() ? "" : ": " + ending.detail);
    queue_.fail_all(Error::Stopped, why, finished_);
    fail_groups(Error::Stopped, why);
    State state = ending.code == Reason::Replaced  ? State::Replaced
                  : ending.code == Reason::Revoked ? State::Revoked
                                                   : State::Stopped;
    notify({state, std::move(ending.reason), std::move(ending.detail)});
    return;
  }
  if (stable) backoff_.reset();
  std::uint32_t delay = backoff_.next(ending.reconnect_after_ms);
  reconnect_at_ = t + delay;
  notify({State::Disconnected, std::move(ending.reason), std::move(ending.detail), false, delay});
}

void Client::Impl::close_link(bool graceful) {
  Link* link = link_;
  link_ = nullptr;
  if (!link || link->closing) return;
  link->closing = true;
  if (graceful && link->connected) {
    // uv_shutdown waits for the queued writes (the goodbye); uv_close would cancel them.
    link->shutdown.data = link;
    if (uv_shutdown(&link->shutdown, reinterpret_cast<uv_stream_t*>(&link->tcp), on_shutdown) == 0)
      return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp), on_link_closed);
}

void Client::Impl::on_shutdown(uv_shutdown_t* request, int) {
  auto* link = static_cast<Link*>(request->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp), on_link_closed);
}

void Client::Impl::on_link_closed(uv_handle_t* handle) {
  auto* link = static_cast<Link*>(handle->data);
  Impl* self = link->impl;
  delete link;
  self->release_handle();
}

void Client::Impl::finish_stop(std::string reason, std::string detail) {
  stopped_ = true;
  reconnect_at_ = kNever;
  queue_.fail_all(Error::Stopped, "the client was stopped", finished_);
  fail_groups(Error::Stopped, "the client was stopped");
  notify({State::Stopped, std::move(reason), std::move(detail)});
}

void Client::Impl::fail_groups(Error error, std::string_view why) {
  for (auto& request : groups_)
    if (request.done) finished_.push_back({std::move(request.done), error, std::string(why)});
  groups_.clear();
}

void Client::Impl::close_handles() {
  if (handles_closed_) return;
  handles_closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), on_handle_closed);
}

void Client::Impl::on_handle_closed(uv_handle_t* handle) {
  static_cast<Impl*>(handle->data)->release_handle();
}

// The last handle libuv gives back lets go of the self-reference: the Impl may go now.
void Client::Impl::release_handle() {
  std::shared_ptr<Impl> keep;
  {
    std::lock_guard lock(mutex_);
    if (--open_handles_ == 0) keep.swap(self_);
  }
}

// ---------------------------------------------------------------------------------------------
// Time

void Client::Impl::rearm_timer() {
  Millis deadline = std::numeric_limits<Millis>::max();
  if (reconnect_at_ != kNever) deadline = std::min(deadline, reconnect_at_);
  if (connect_deadline_ != kNever) deadline = std::min(deadline, connect_deadline_);
  if (session_) deadline = std::min(deadline, session_->next_deadline());
  if (deadline == std::numeric_limits<Millis>::max()) {
    uv_timer_stop(&timer_);
    return;
  }
  Millis wait = std::max<Millis>(0, deadline - now());
  uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(wait), 0);
}

void Client::Impl::on_timer(uv_timer_t* timer) {
  Impl& self = *static_cast<Impl*>(timer->data);
  Scope scope(self);
  Millis t = now();
  if (self.reconnect_at_ != kNever && t >= self.reconnect_at_) return self.begin_attempt();
  if (self.connect_deadline_ != kNever && t >= self.connect_deadline_ && !self.ending_)
    return self.fail_attempt("ConnectTimeout", "no session within connect_timeout_ms");
  if (self.session_) self.session_->tick(t);
}

void Client::Impl::on_wake(uv_async_t* async) {
  Scope scope(*static_cast<Impl*>(async->data));  // settles on the way out
}

}  // namespace kite
