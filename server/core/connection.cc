// Connection, the socket: accept, reads, writes, the close, deadlines and flow control
// (connection.h). Everything the peer says goes to the session; this file only moves bytes.
#include "core/connection.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "common/log.h"
#include "common/log_limiter.h"
#include "core/worker.h"
#include "websocket/entry_layer.h"

namespace kite::server {
namespace {

using protocol::Reason;

constexpr Millis kCloseGrace = 5'000;  // a peer that will not take our last bytes is cut off

struct PendingWrite {
  uv_write_t request{};
  std::vector<std::uint8_t> bytes;
};

// Refusals a stranger can cause at will: logged at most about once a second after a burst.
log::Limiter& refused_log() {
  static log::Limiter limiter{20, 1000};
  return limiter;
}

PeerIp peer_ip(const uv_tcp_t& tcp) {
  sockaddr_storage address{};
  int length = sizeof address;
  if (uv_tcp_getpeername(&tcp, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  return PeerIp::from(reinterpret_cast<const sockaddr*>(&address));
}

}  // namespace

Connection::Connection(Worker& worker, std::uint64_t id)
    : worker_(worker),
      id_(id),
      session_(protocol::Role::Server, worker.session_context(), *this, uv_now(worker.loop())) {
  tcp_.data = this;
}

std::int64_t Connection::now() const {
  return static_cast<std::int64_t>(uv_now(const_cast<Worker&>(worker_).loop()));
}

// ---------------------------------------------------------------------------------------------
// Socket

bool Connection::start(uv_stream_t* listener, std::shared_ptr<const kite::tls::TlsContext> tls,
                       bool websocket) {
  auto& context = worker_.context();
  if (tls) wire_ = kite::tls::WirePipe(std::move(tls));
  if (websocket) wire_.set_layer(websocket::entry_layer(context.options.upgrade_rules, id_, *this));
  uv_tcp_init(worker_.loop(), &tcp_);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    close_socket();
    return false;
  }
#if !defined(__linux__)
  uv_tcp_nodelay(&tcp_, 1);  // Linux: inherited from the listener (Worker::bind_listener)
#endif
  ip_ = peer_ip(tcp_);
  // A peer gone between accept and here (a proxy's health check that resets at once) has no
  // address to judge it by: it is closed without being counted as refused or forged.
  if (!ip_.known()) {
    close_socket();
    return false;
  }
  worker_.metrics().connections_accepted.add();
  const PeerGate::ProxyExpectation proxy = context.device_gate->proxy_expectation(ip_.address());
  if (proxy.expect == ProxyPolicy::Expect::header) return await_proxy_header(proxy.versions);
  watching_forged_ = proxy.expect == ProxyPolicy::Expect::watch;
  if (!admit_peer()) return false;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  after_session_call();
  return true;
}

bool Connection::admit_peer() {
  auto& context = worker_.context();
  auto& metrics = worker_.metrics();
  // The port's address lists and per-IP cap (common/peer_gate.h), before any byte of the
  // client's own is read.
  const PeerGate::Admission gate = context.device_gate->enter(ip_.address());
  lifecycle_.count_by_gate(gate.counted);
  if (gate.refusal == Refusal::per_ip_cap) {
    session_.reject(Reason::TooManyAttempts, "too many connections from this address");
    // on_close() flushes the refusal and closes; on the TLS listener nothing can be encrypted
    // before a handshake, so there the socket just closes.
    return false;
  }
  if (gate.refusal != Refusal::none) {
    close_socket();  // an address the lists refuse is told nothing
    return false;
  }
  if (!context.auth->admission().admit(ip_.address())) {
    metrics.connections_refused.add();
    if (auto suppressed = refused_log().admit())
      KITE_LOG(warn, "connection.refused",
               {{"ip", ip_.text()}, {"reason", "TooManyAttempts"}, {"suppressed", *suppressed}});
    session_.reject(Reason::TooManyAttempts,
                    "too many unauthenticated connections from this address");
    return false;  // as above: the refusal is flushed, or on the TLS listener dropped
  }
  lifecycle_.admit();
  metrics.handshaking.add();
  if (worker_.recorder().active()) start_recording(/*from_start=*/true);
  return true;
}

void Connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  // The decoder's alignment hint is about the plaintext, which TLS puts elsewhere.
  *buf = self->worker_.read_buffer(self->tls() ? 0 : self->session_.decoder().read_offset_hint());
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread > 0) {
    self->worker_.metrics().bytes_in.add(static_cast<std::uint64_t>(nread));
    std::span<std::uint8_t> buffer{reinterpret_cast<std::uint8_t*>(buf->base), buf->len};
    auto received = static_cast<std::size_t>(nread);
    std::optional<std::size_t> header_bytes = 0;
    if (self->proxy_header_ || self->watching_forged_)
      header_bytes = self->before_wire(buffer.first(received));
    if (header_bytes && received > *header_bytes) {
      buffer = buffer.subspan(*header_bytes);  // the client's first bytes, as it sent them
      received -= *header_bytes;
      self->after_arrival(self->wire_.receive(buffer, received, *self, self->now()));
      if (self->role_) self->role_->after_read();
    }
  } else if (nread < 0) {
    if (self->proxy_header_) self->proxy_header_cut_off();
    self->session_.receive_end(self->now());  // EOF or reset: the session decides how it ended
    self->close_socket();
  }
  if (!self->lifecycle_.closing()) self->after_session_call();
}

void Connection::flush() {
  dirty = false;
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
  auto& scratch = worker_.tls_ciphertext();
  const std::span<const std::uint8_t> output =
      wire_.stage_output(&session_, *this, scratch, lifecycle_.closing());
  if (output.empty()) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  worker_.metrics().bytes_out.add(output.size());
  std::size_t written = 0;
  if (write_queue_bytes_ == 0) {
    // Usually the kernel takes it all at once: no request, no callback, no allocation.
    uv_buf_t direct = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(output.data())),
                                  static_cast<unsigned>(output.size()));
    int status = uv_try_write(stream, &direct, 1);
    if (status < 0 && status != UV_EAGAIN) return fail_socket();
    written = status > 0 ? static_cast<std::size_t>(status) : 0;
    if (written == output.size()) {
      wire_.release_staged(&session_);
      if (role_) role_->on_room();  // below the high-water mark, as after a completed write
      return;
    }
  }
  auto* write = new PendingWrite;
  wire_.take_staged(&session_, scratch, write->bytes);
  write->bytes.erase(write->bytes.begin(),
                     write->bytes.begin() + static_cast<std::ptrdiff_t>(written));
  write->request.data = this;
  write_queue_bytes_ += write->bytes.size();
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->bytes.data()),
                             static_cast<unsigned>(write->bytes.size()));
  int status = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write);
  if (status != 0) {
    write_queue_bytes_ -= write->bytes.size();
    delete write;
    return fail_socket();
  }
  // Deliveries stop at the high-water mark by themselves, but answers to what the peer sends
  // (pongs, acks, TLS KeyUpdate replies) do not: a peer that sends and never reads would grow
  // the queue without end. Past four times the mark, its input waits until the queue drains.
  const std::size_t high_water = worker_.context().options.write_high_water_bytes;
  if (!reading_blocked_ && !lifecycle_.closing() && write_queue_bytes_ > 4 * high_water) {
    reading_blocked_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    worker_.metrics().reading_blocked.add();
  }
}

// The socket failed (reset, broken pipe): the session ends as if the peer had gone, so on_close
// releases the device's route, the gauges and its pending commands; nothing more is written.
void Connection::fail_socket() {
  session_.discard_output();
  if (!lifecycle_.closing()) session_.receive_end(now());
  session_.discard_output();
  close_socket();
}

void Connection::on_write(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<PendingWrite*>(request);
  auto* self = static_cast<Connection*>(request->data);
  self->write_queue_bytes_ -= write->bytes.size();
  delete write;
  if (status < 0) {
    if (!self->lifecycle_.closing()) {
      self->session_.receive_end(self->now());
      self->close_socket();
    }
    return;
  }
  if (self->lifecycle_.closing()) return;
  if (self->reading_blocked_ &&
      self->write_queue_bytes_ <= self->worker_.context().options.write_high_water_bytes) {
    self->reading_blocked_ = false;
    if (!self->reading_paused_)
      uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
  }
  if (self->role_) self->role_->on_room();  // room again below the high-water mark
}

void Connection::close_socket() {
  if (!lifecycle_.close()) return;  // closing already
  auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
  if (uv_is_closing(handle)) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  flush();
  // Everything written is in the kernel already: close() sends it, then the FIN. (One system
  // call and one loop turn fewer than a shutdown for every connection that simply ends.)
  if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&tcp_)) == 0)
    return uv_close(handle, on_closed);
  // Let queued bytes (an Error or Goaway frame) reach the peer, but not forever.
  auto* shutdown = new uv_shutdown_t;
  int status =
      uv_shutdown(shutdown, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* request, int) {
        auto* h = reinterpret_cast<uv_handle_t*>(request->handle);
        delete request;
        if (!uv_is_closing(h)) uv_close(h, on_closed);
      });
  if (status != 0) {
    delete shutdown;
    uv_close(handle, on_closed);
    return;
  }
  worker_.wheel().schedule(static_cast<WheelEntry&>(*this), now() + kCloseGrace);
}

void Connection::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->worker_.wheel().cancel(static_cast<WheelEntry&>(*self));
  if (self->lifecycle_.holds_admission()) {
    self->worker_.context().auth->admission().release(self->ip_.address());
    self->worker_.metrics().handshaking.sub();
  }
  if (self->lifecycle_.holds_gate_count())
    self->worker_.context().device_gate->leave(self->ip_.address());
  if (self->recorder_) self->recorder_->closed();
  self->worker_.forget(self->id_);
  delete self;
}

void Connection::on_deadline() {
  if (lifecycle_.closing()) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
    if (!uv_is_closing(handle)) uv_close(handle, on_closed);
    return;
  }
  if (proxy_header_ && proxy_header_late()) return;
  if (reading_paused_ && now() >= resume_reading_at_) resume_reading();
  if (token_limit_.expired(now())) {
    token_limit_.clear_deadline();
    kick(Reason::TokenExpired, 0, "the token expired: connect with a new one");
  }
  session_.tick(now());
  if (!lifecycle_.closing()) after_session_call();
}

void Connection::after_session_call() {
  if (wire_.has_output(&session_)) worker_.mark_dirty(*this);
  if (lifecycle_.closing()) return;
  if (uplink_bucket_.in_debt() && !reading_paused_) pause_reading();
  Millis due = session_.next_deadline();
  if (reading_paused_) due = std::min(due, resume_reading_at_);
  due = std::min(due, token_limit_.deadline());
  if (due == std::numeric_limits<Millis>::max())
    worker_.wheel().cancel(static_cast<WheelEntry&>(*this));
  else if (!scheduled() || deadline != due)
    worker_.wheel().schedule(static_cast<WheelEntry&>(*this), due);
}

// ---------------------------------------------------------------------------------------------
// Flow control: paused while the uplink bucket is in debt, blocked while the write queue drains

void Connection::charge_uplink(double tokens) {
  uplink_bucket_.charge(tokens, now());
}

void Connection::pause_reading() {
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  resume_reading_at_ = uplink_bucket_.paid_at(now());
  worker_.metrics().uplink_throttled.add();
}

void Connection::resume_reading() {
  reading_paused_ = false;
  charge_uplink(0);  // the refill only: nothing was received
  if (!reading_blocked_) uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
}

}  // namespace kite::server
