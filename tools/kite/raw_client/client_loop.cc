#include "raw_client/client_loop.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace kite::bench {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct PendingWrite {
  uv_write_t request{};
  std::vector<std::uint8_t> bytes;
};

}  // namespace

ClientLoop::ClientLoop(protocol::SessionConfig config)
    : context_(std::move(config)), read_buffer_words_(kReadBufferBytes / 8 + 1) {
  uv_loop_init(&loop_);
  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, on_prepare);
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  uv_timer_start(&tick_, on_tick, kTickMs, kTickMs);
  uv_timer_init(&loop_, &wake_);
  wake_.data = this;
}

ClientLoop::~ClientLoop() {
  stop();
  uv_run(&loop_, UV_RUN_DEFAULT);  // let close callbacks finish
  uv_loop_close(&loop_);
}

BenchClient& ClientLoop::add(Identity identity, const sockaddr_storage& target, std::string source,
                             ClientEvents* events) {
  clients_.push_back(std::make_unique<BenchClient>(*this, std::move(identity), target,
                                                   std::move(source), events, clients_.size()));
  return *clients_.back();
}

void ClientLoop::every(std::uint64_t period_ms, std::function<void()> callback) {
  schedule(period_ms, period_ms, std::move(callback));
}

void ClientLoop::after(std::uint64_t delay_ms, std::function<void()> callback) {
  schedule(delay_ms, 0, std::move(callback));
}

void ClientLoop::schedule(std::uint64_t delay_ms, std::uint64_t repeat_ms,
                          std::function<void()> callback) {
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(&loop_, timer.get());
  periodic_callbacks_.push_back(std::make_unique<std::function<void()>>(std::move(callback)));
  timer->data = periodic_callbacks_.back().get();
  uv_timer_start(
      timer.get(), [](uv_timer_t* t) { (*static_cast<std::function<void()>*>(t->data))(); },
      delay_ms, repeat_ms);
  periodic_.push_back(std::move(timer));
}

void ClientLoop::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void ClientLoop::stop() {
  for (auto& client : clients_) client->close();
  for (auto& timer : periodic_)
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(timer.get())))
      uv_close(reinterpret_cast<uv_handle_t*>(timer.get()), nullptr);
  for (uv_handle_t* h :
       {reinterpret_cast<uv_handle_t*>(&prepare_), reinterpret_cast<uv_handle_t*>(&tick_),
        reinterpret_cast<uv_handle_t*>(&wake_)})
    if (!uv_is_closing(h)) uv_close(h, nullptr);
}

void ClientLoop::mark_dirty(BenchClient& client) {
  if (client.dirty) return;
  client.dirty = true;
  dirty_.push_back(&client);
}

void ClientLoop::wake_at(BenchClient& client, std::int64_t deadline) {
  if (deadline >= now() + kTickMs || client.wake_at == deadline) return;
  client.wake_at = deadline;
  wakes_.emplace(deadline, &client);
  if (deadline >= wake_armed_at_) return;
  wake_armed_at_ = deadline;
  uv_timer_start(&wake_, on_wake,
                 static_cast<std::uint64_t>(std::max<std::int64_t>(deadline - now(), 0)), 0);
}

uv_buf_t ClientLoop::read_buffer(std::size_t offset_hint) {
  return uv_buf_init(reinterpret_cast<char*>(read_buffer_words_.data()) + offset_hint,
                     static_cast<unsigned>(kReadBufferBytes));
}

void ClientLoop::on_prepare(uv_prepare_t* handle) {
  auto* self = static_cast<ClientLoop*>(handle->data);
  for (BenchClient* client : self->dirty_) client->flush();
  self->dirty_.clear();
}

void ClientLoop::on_tick(uv_timer_t* handle) {
  auto* self = static_cast<ClientLoop*>(handle->data);
  std::int64_t now = self->now();
  for (auto& client : self->clients_) client->tick(now);
}

void ClientLoop::on_wake(uv_timer_t* handle) {
  auto* self = static_cast<ClientLoop*>(handle->data);
  const std::int64_t now = self->now();
  self->wake_armed_at_ = INT64_MAX;
  auto& wakes = self->wakes_;
  while (!wakes.empty() && wakes.top().first <= now) {
    wakes.top().second->tick(now);
    wakes.pop();
  }
  if (wakes.empty()) return;
  self->wake_armed_at_ = wakes.top().first;
  uv_timer_start(handle, on_wake, static_cast<std::uint64_t>(self->wake_armed_at_ - now), 0);
}

// ---------------------------------------------------------------------------------------------

BenchClient::BenchClient(ClientLoop& loop, Identity identity, const sockaddr_storage& target,
                         std::string source, ClientEvents* events, std::size_t index)
    : loop_(loop),
      identity_(std::move(identity)),
      target_(target),
      source_(std::move(source)),
      events_(events),
      index_(index) {}

void BenchClient::connect() {
  session_ = std::make_unique<protocol::Session>(protocol::Role::Client, loop_.context(), *this,
                                                 loop_.now());
  uv_tcp_init(loop_.loop(), &tcp_);
  tcp_.data = this;
  socket_open_ = true;
  connect_started_ = uv_hrtime();
  if (!source_.empty()) {
    sockaddr_in local{};
    uv_ip4_addr(source_.c_str(), 0, &local);
    uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&local), 0);
  }
  connect_request_.data = this;
  int status = uv_tcp_connect(&connect_request_, &tcp_, reinterpret_cast<const sockaddr*>(&target_),
                              on_connect);
  if (status != 0)
    fail(status == UV_ECONNREFUSED ? TransportFailure::ConnectRefused
                                   : TransportFailure::ConnectFailed,
         uv_strerror(status));
}

void BenchClient::on_connect(uv_connect_t* request, int status) {
  auto* self = static_cast<BenchClient*>(request->data);
  if (status != 0)
    return self->fail(status == UV_ECONNREFUSED ? TransportFailure::ConnectRefused
                                                : TransportFailure::ConnectFailed,
                      uv_strerror(status));
  uv_tcp_nodelay(&self->tcp_, 1);
  // The ClientHello, or the upgrade request, goes with the next flush.
  self->wire_ = tls::WirePipe(self->loop_.tls());
  if (const auto& websocket = self->loop_.websocket())
    self->wire_.set_layer(std::make_unique<websocket::WebSocketLayer>(
        websocket::Side::Client, std::make_unique<websocket::ClientOpening>(*websocket)));
  if (self->wire_.ready()) self->start_session();
  self->loop_.mark_dirty(*self);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&self->tcp_),
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* c = static_cast<BenchClient*>(h->data);
        *buf = c->loop_.read_buffer(c->session_->decoder().read_offset_hint());
      },
      on_read);
}

void BenchClient::start_session() {
  protocol::ClientCredentials credentials;
  credentials.device_id = identity_.id;
  credentials.method = identity_.method;
  credentials.key = identity_.key;
  credentials.token = identity_.token;
  credentials.agent = "kite-bench";
  protocol::random_bytes(credentials.nonce);
  session_->start(credentials, {}, loop_.now());
}

void BenchClient::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<BenchClient*>(stream->data);
  if (nread > 0) {
    std::span<std::uint8_t> buffer{reinterpret_cast<std::uint8_t*>(buf->base), buf->len};
    // close_notify alone changes nothing here: the EOF that follows it ends the connection.
    const auto arrival =
        self->wire_.receive(buffer, static_cast<std::size_t>(nread), *self, self->loop_.now());
    if (arrival == tls::WirePipe::Arrival::TlsFailed)
      self->fail(TransportFailure::Tls,
                 "TLS: " + std::string(self->wire_.channel()->failure_reason()));
    else if (arrival == tls::WirePipe::Arrival::LayerEnded && self->session_->is_open())
      self->session_->receive_end(self->loop_.now());  // a WebSocket Close follows the goodbye
    else if (arrival == tls::WirePipe::Arrival::LayerEnded)
      self->fail(TransportFailure::ConnectFailed,
                 "WebSocket: " + std::string(self->wire_.layer()->why()));
  } else if (nread < 0) {
    // The stream ended under a session kited did not close: lost, whatever the session makes
    // of it (a clean end, or a frame cut short).
    if (self->session_->state() != protocol::Session::State::Closed)
      self->transport_failure_ = TransportFailure::Lost;
    self->session_->receive_end(self->loop_.now());
    self->shut_socket();
  }
  if (self->wire_.has_output(self->session_.get())) self->loop_.mark_dirty(*self);
}

void BenchClient::on_wire_ready() {
  if (session_->state() == protocol::Session::State::Idle) start_session();
}

void BenchClient::fail(TransportFailure failure, std::string why) {
  if (!socket_open_) return;
  transport_failure_ = failure;
  if (failure == TransportFailure::Tls) flush();  // the TLS alert, if there is one
  if (!socket_open_) return;                      // that write failed: reported already
  shut_socket();  // first: a closed handler that stops the loop closes only live clients
  if (std::exchange(closed_reported_, true)) return;  // the session's close came first
  protocol::CloseInfo info{protocol::Reason::Internal, false, 0, why};
  if (events_->closed) events_->closed(*this, info);
}

void BenchClient::flush() {
  dirty = false;
  if (!socket_open_ || !session_) return;
  if (!wire_.has_output(session_.get())) return;
  auto* write = new PendingWrite;
  wire_.take_output(session_.get(), *this, write->bytes);
  if (write->bytes.empty()) {
    delete write;
    return;
  }
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->bytes.data()),
                             static_cast<unsigned>(write->bytes.size()));
  if (int status =
          uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write);
      status != 0) {
    delete write;
    fail(TransportFailure::Lost, std::string("write: ") + uv_strerror(status));
  }
}

void BenchClient::on_write(uv_write_t* request, int) {
  delete reinterpret_cast<PendingWrite*>(request);
}

void BenchClient::tick(std::int64_t now) {
  if (!session_ || !socket_open_ || session_->next_deadline() > now) return;
  session_->tick(now);
  if (session_->has_output()) loop_.mark_dirty(*this);
}

void BenchClient::close() {
  // A client whose socket is gone (a failed connect, a TLS failure) was reported closed then.
  if (!socket_open_) return;
  if (session_ && session_->state() != protocol::Session::State::Closed)
    session_->close(protocol::Reason::NormalClose, "bench done");
  flush();
  shut_socket();
}

void BenchClient::shut_socket() {
  if (!socket_open_) return;
  socket_open_ = false;
  auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
  if (!uv_is_closing(handle)) uv_close(handle, nullptr);
}

void BenchClient::on_open(const protocol::OpenInfo&) {
  opened_ = true;
  if (events_->opened) events_->opened(*this);
}

void BenchClient::on_message(const protocol::IncomingMessage& message) {
  if (events_->message) events_->message(*this, message);
  session_->acknowledge(message.seq, loop_.now());
  if (session_->has_output())
    loop_.mark_dirty(*this);
  else
    loop_.wake_at(*this, session_->next_deadline());
}

void BenchClient::on_writable() {
  if (events_->writable) events_->writable(*this);
}

void BenchClient::on_acked(std::uint64_t seq) {
  if (events_->acked) events_->acked(*this, seq);
}

void BenchClient::on_error(protocol::Reason reason, std::uint64_t ref, std::string_view) {
  if (events_->error) events_->error(*this, reason, ref);
}

void BenchClient::on_close(const protocol::CloseInfo& info) {
  wire_.end(info.reason);  // over WebSocket, its Close carries the reason
  if (std::exchange(closed_reported_, true)) return;  // the socket failed first
  if (events_->closed) events_->closed(*this, info);
  flush();  // the goodbye, if any, then the socket
  shut_socket();
}

}  // namespace kite::bench
