// Client::Impl, the connection's bytes: reads through the wire pipe (kite/tls/wire_pipe.h),
// writes of the session's frames, and feeding the uplink queue while the socket keeps up.
#include "client_impl.h"

#include <cstdlib>

#include "byte_views.h"
#include "client_link.h"

namespace kite {
namespace {

using protocol::Millis;
// Uplink is not fed to a socket that has this much unwritten: the queue holds the rest.
constexpr std::size_t kWriteHighWater = 64u << 10;
constexpr std::size_t kReadBuffer = 64u << 10;

}  // namespace

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
  if (link != self.link_) return;
  if (nread > 0 && link->proxy_answer) {
    self.on_proxy_answer(
        *link, {reinterpret_cast<std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)});
  } else if (nread > 0) {
    if (!self.session_ && link->wire.ready()) return;  // nobody to take it
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

void Client::Impl::on_wire_ready() {
  if (!session_) start_session();
}

void Client::Impl::after_arrival(tls::WirePipe::Arrival arrival) {
  if (ending_ || arrival == tls::WirePipe::Arrival::Ok) return;
  if (arrival == tls::WirePipe::Arrival::TlsFailed) {
    ending_ = Ending{"TlsFailed", std::string(link_->tls()->failure_reason())};
    ending_->send_alert = true;
    return;
  }
  if (arrival == tls::WirePipe::Arrival::LayerEnded) {  // the WebSocket: refused, or closed
    const std::string why(link_->wire.layer()->why());
    ending_ = session_ ? Ending{"ConnectionLost", why} : Ending{"UpgradeFailed", why};
    if (session_) session_->receive_end(now());
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

}  // namespace kite
