// Client::Impl, one connection attempt: resolve the host, try its addresses in turn, connect,
// and start the session (at once on plain TCP, after the TLS handshake with TLS).
#include "client_impl.h"

#include "client_link.h"
#include "kite/protocol/handshake_crypto.h"

namespace kite {

using protocol::Millis;

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

}  // namespace kite
