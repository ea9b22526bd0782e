// Client::Impl, one connection attempt: resolve the host (or the proxy's), try its addresses in
// turn, connect, ask a proxy for its tunnel, and start the session: at once on plain TCP, else
// once the TLS handshake and the WebSocket upgrade (as configured) are through.
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
  const std::string& host = endpoint_.proxied() ? endpoint_.proxy_host : endpoint_.host;
  const std::string port =
      std::to_string(endpoint_.proxied() ? endpoint_.proxy_port : endpoint_.port);
  int status = uv_getaddrinfo(loop_, request, on_resolved, host.c_str(), port.c_str(), &hints);
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
  if (!self.endpoint_.proxied()) return self.open_wire(*link);
  // The tunnel first: the request goes out now, the answer comes to on_proxy_answer().
  link->proxy_answer = std::make_unique<websocket::ResponseHead>();
  auto* write = new WriteRequest;
  const std::string tunnel = sdk::connect_request(self.endpoint_);
  write->data.assign(tunnel.begin(), tunnel.end());
  write->request.data = &self;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->data.data()),
                             static_cast<unsigned>(write->data.size()));
  if (uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&link->tcp), &buf, 1, on_written) <
      0) {
    delete write;
    self.fail_attempt("ProxyFailed", "cannot write to the proxy");
  }
}

// With TLS or WebSocket the Hello waits for them (on_wire_ready); their first flight (the
// ClientHello, or the upgrade request) is ready now, and flush() sends it when this settles.
void Client::Impl::open_wire(Link& link) {
  link.wire = tls::WirePipe(tls_context_);
  if (endpoint_.websocket_path)
    link.wire.set_layer(std::make_unique<websocket::WebSocketLayer>(
        websocket::Side::Client,
        std::make_unique<websocket::ClientOpening>(websocket::ClientOpeningOptions{
            endpoint_.host_and_port(), *endpoint_.websocket_path, {}})));
  if (link.wire.ready()) start_session();
}

// The proxy's answer to CONNECT: 200 opens the tunnel; anything else ends the attempt with the
// proxy's words (407: its credentials).
void Client::Impl::on_proxy_answer(Link& link, std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  switch (link.proxy_answer->feed(bytes, used)) {
    case websocket::ResponseHead::Step::More:
      return;
    case websocket::ResponseHead::Step::Bad:
      return fail_attempt("ProxyFailed", "the proxy's answer is not HTTP: " +
                                             std::string(link.proxy_answer->error()));
    case websocket::ResponseHead::Step::Done:
      break;
  }
  const int status = link.proxy_answer->status();
  if (status / 100 != 2)
    return fail_attempt(
        "ProxyFailed",
        "the proxy answered CONNECT with " + std::to_string(status) + " " +
            std::string(link.proxy_answer->reason()) +
            (status == 401 || status == 407 ? " (check the user and password in the proxy option)"
                                            : ""));
  link.proxy_answer.reset();
  open_wire(link);  // a server speaks only when spoken to: nothing follows the answer yet
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
