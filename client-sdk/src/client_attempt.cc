// Client::Impl, one dial the core asked for: resolve the name, try its addresses in turn, and
// tell the core which connected or why none did.
#include <cstring>

#include "client_impl.h"
#include "client_link.h"

namespace kite {

void Client::Impl::dial(const sdk::DialTarget& target) {
  last_connect_error_.clear();
  auto* resolve = new Resolve;
  resolve->impl = this;
  resolve->dial = ++dial_;
  resolve->request.data = resolve;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string port = std::to_string(target.port);
  int status = uv_getaddrinfo(loop_, &resolve->request, on_resolved, target.host.c_str(),
                              port.c_str(), &hints);
  if (status < 0) {
    delete resolve;
    core_.connect_failed("ResolveFailed", uv_strerror(status), now());
    told_core_ = true;
    return;
  }
  resolving_ = resolve;
  ++open_handles_;
}

void Client::Impl::on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* result) {
  auto* resolve = static_cast<Resolve*>(request->data);
  Impl* self = resolve->impl;
  const bool current = resolve->dial == self->dial_;
  if (self->resolving_ == resolve) self->resolving_ = nullptr;
  delete resolve;
  {
    Scope scope(*self);
    if (status == UV_ECANCELED || !current || self->handles_closed_) {
      // The attempt ended first (stopped, timed out): nothing to connect.
    } else if (status < 0 || !result) {
      self->core_.connect_failed("ResolveFailed", uv_strerror(status), now());
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
  if (next_address_ >= addresses_.size()) {
    core_.connect_failed("ConnectFailed",
                         last_connect_error_.empty() ? "no address" : last_connect_error_, now());
    told_core_ = true;
    return;
  }
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
  link->connected = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&link->tcp), on_alloc, on_read);
  self.core_.connected(now());
}

}  // namespace kite
