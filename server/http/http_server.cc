// The admin HTTP server; see http_server.h.
#include "http/http_server.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "common/log.h"
#include "http/connection.h"

namespace kite::server::http {
namespace {

HttpServer* server_of(void* handle) {
  return static_cast<HttpServer*>(static_cast<uv_handle_t*>(handle)->data);
}

}  // namespace

HttpServer::HttpServer(uv_loop_t* loop, Router router, HttpServerOptions options)
    : loop_(loop), router_(std::move(router)), options_(options) {}

HttpServer::~HttpServer() {
  if (open_handles_ > 0 || !connections_.empty()) {
    KITE_LOG(error, "http.server_destroyed_while_open", {{"connections", connections_.size()}});
    std::abort();
  }
}

std::string HttpServer::listen(const std::string& host, int port) {
  if (started_ || closing_) return "listen() may be called once, before close()";
  started_ = true;
  uv_tcp_init(loop_, &listener_);
  uv_timer_init(loop_, &timer_);
  listener_.data = this;
  timer_.data = this;
  open_handles_ = 2;

  sockaddr_storage addr{};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr));
  if (rc == 0) rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, on_connection);
  if (rc != 0) return fmt::format("cannot listen on {}:{}: {}", host, port, uv_strerror(rc));

  sockaddr_storage bound{};
  int length = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  // One timer scans every connection: cheap at admin-port scale, no handle per connection.
  std::uint64_t shortest = std::min(options_.idle_timeout_ms, options_.deadlines.head_timeout_ms);
  std::uint64_t interval = std::clamp<std::uint64_t>(shortest / 4, 10, 1000);
  uv_timer_start(&timer_, on_timer, interval, interval);
  KITE_LOG(info, "http.listening", {{"host", host}, {"port", port_}});
  return "";
}

void HttpServer::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(done);
  if (started_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
  }
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [id, connection] : connections_) open.push_back(connection);
  for (const auto& connection : open) connection->close();
  handle_closed();  // nothing may have been open
}

void HttpServer::on_connection(uv_stream_t* listener, int status) {
  if (status < 0) {
    KITE_LOG(warn, "http.accept_failed", {{"error", uv_strerror(status)}});
    return;
  }
  server_of(listener)->accept();
}

void HttpServer::accept() {
  int refusal = connections_.size() >= options_.max_connections ? 503 : 0;
  auto connection = std::make_shared<Connection>(*this, next_id_++);
  uv_tcp_init(loop_, connection->tcp());
  connection->tcp()->data = connection.get();
  connections_.emplace(connection->id(), connection);
  auto* listener = reinterpret_cast<uv_stream_t*>(&listener_);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(connection->tcp())) != 0)
    return connection->close();
  // A peer gone between accept and here (a proxy's health check that resets at once) has no
  // address to judge it by: closed without being counted as refused or forged.
  std::optional<IpAddress> peer = peer_address(*connection);
  if (!peer) return connection->close();
  const IpAddress socket_ip = *peer;
  if (options_.gate != nullptr) {
    // Behind a proxy that sends PROXY headers, the gate is asked once the header names the
    // client (http/connection_proxy.cc).
    const PeerGate::ProxyExpectation proxy = options_.gate->proxy_expectation(socket_ip);
    if (proxy.expect == ProxyPolicy::Expect::header)
      return connection->await_proxy_header(proxy.versions, socket_ip, refusal);
    if (proxy.expect == ProxyPolicy::Expect::watch) connection->watch_for_forged_header(socket_ip);
  }
  if (!pass_gate(*connection, socket_ip, refusal)) return connection->close();
  if (refusal == 503)
    KITE_LOG(warn, "http.too_many_connections", {{"max", options_.max_connections}});
  connection->start(refusal);
}

std::optional<IpAddress> HttpServer::peer_address(Connection& connection) {
  sockaddr_storage peer{};
  int length = sizeof peer;
  if (uv_tcp_getpeername(connection.tcp(), reinterpret_cast<sockaddr*>(&peer), &length) != 0)
    return std::nullopt;
  return IpAddress::from(reinterpret_cast<const sockaddr*>(&peer));
}

bool HttpServer::pass_gate(Connection& connection, const IpAddress& ip, int& refusal) {
  if (options_.gate == nullptr) return true;
  const PeerGate::Admission admission = options_.gate->enter(ip);
  if (admission.counted) connection.set_gate_ip(ip);
  if (admission.refusal == Refusal::per_ip_cap) {
    refusal = 429;
    return true;
  }
  return admission.refusal == Refusal::none;
}

void HttpServer::on_timer(uv_timer_t* timer) {
  HttpServer* self = server_of(timer);
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [id, connection] : self->connections_) open.push_back(connection);
  std::uint64_t now = uv_now(self->loop_);
  for (const auto& connection : open) connection->check_timeout(now);
}

void HttpServer::on_handle_closed(uv_handle_t* handle) {
  HttpServer* self = server_of(handle);
  --self->open_handles_;
  self->handle_closed();
}

void HttpServer::forget(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (const auto& ip = it->second->gate_ip(); ip && options_.gate) options_.gate->leave(*ip);
  connections_.erase(it);
  handle_closed();
}

void HttpServer::handle_closed() {
  if (!closing_ || open_handles_ > 0 || !connections_.empty() || !on_closed_) return;
  auto done = std::move(on_closed_);
  on_closed_ = nullptr;
  done();
}

}  // namespace kite::server::http
