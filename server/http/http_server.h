// HttpServer: the admin HTTP/1.1 server of kited, on a libuv loop the caller owns and runs.
//
//   uv_loop_t loop; ...
//   Router router;
//   router.add("GET", "/healthz", [](const HttpRequest&, const RouteParams&, Responder r) {
//     r.respond(HttpResponse::text(200, "ok\n"));
//   });
//   HttpServer server(&loop, std::move(router));
//   if (auto error = server.listen("127.0.0.1", 8080); !error.empty()) ...
//   ... later: server.close([] { /* every handle is closed; the server may be destroyed */ });
//
// Rules it keeps:
//  - Everything runs on the loop thread: handlers, Responder calls, close().
//  - Keep-alive and pipelining; responses leave in request order (see response_queue.h).
//  - Limits: ParserLimits per request; max_connections (above it a new connection is accepted,
//    answered 503 and closed); at most max_pipelined requests awaiting an answer per connection
//    and write_high_water bytes unsent before the server stops reading that socket.
//  - With a gate (common/peer_gate.h), every accepted connection passes it before any byte is
//    read: one its address lists refuse is closed at once without an answer (a scanner learns
//    nothing about what listens); one over the per-IP cap gets 429 and is closed.
//  - A connection with nothing owed to it (no request awaiting an answer) closes after
//    idle_timeout without input; so does one whose client stops reading our output, and one
//    whose request head or body comes too slowly (request_deadline.h).
//  - A request with a body is routed when its head is complete: a 404, a 405 or a refusal of
//    the route's guard (a missing or wrong bearer token) is answered at once, without reading
//    the body, and the connection ends; "100 Continue" is sent only to requests that pass.
//  - Lifetime: the server must outlive its handles. Destroy it only before listen() or after the
//    close() callback ran; the destructor aborts otherwise (freeing a live uv handle is
//    undefined behaviour, better caught loudly).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/peer_gate.h"
#include "http/request_deadline.h"
#include "http/request_parser.h"
#include "http/router.h"
#include "kite/tls/context.h"

namespace kite::server::http {

struct HttpServerOptions {
  ParserLimits limits;
  std::size_t max_connections = 1024;
  std::uint64_t idle_timeout_ms = 60'000;
  std::size_t max_pipelined = 32;
  std::size_t write_high_water = 1024 * 1024;
  DeadlineLimits deadlines;  // how long one request's head and body may take
  PeerGate* gate = nullptr;  // address lists and per-IP cap; must outlive the server
  // Set: every connection speaks HTTPS (connection_tls.cc); plain HTTP to the port is closed.
  std::shared_ptr<const kite::tls::TlsContext> tls;
};

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, Router router, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (port 0: an ephemeral port, see port()). Returns "" or the error.
  std::string listen(const std::string& host, int port);
  int port() const { return port_; }

  // Stops listening and closes every connection; `done` runs once all handles are closed.
  void close(std::function<void()> done);

  std::size_t connection_count() const { return connections_.size(); }
  const HttpServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  uv_loop_t* loop() const { return loop_; }

 private:
  friend class Connection;
  static constexpr unsigned kReadBufferSize = 64 * 1024;

  static void on_connection(uv_stream_t* listener, int status);
  static void on_timer(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);

  void accept();
  // Asks the gate about a new connection: false when its address is refused (the caller closes
  // it); over the per-IP cap, true with `refusal` set to 429; otherwise `refusal` is untouched.
  // `ip`: the socket's peer, or behind a proxy the client its PROXY header named.
  bool pass_gate(Connection& connection, const IpAddress& ip, int& refusal);
  // The client's address; nullopt when it is already gone.
  static std::optional<IpAddress> peer_address(Connection& connection);
  void forget(std::uint64_t id);  // called from a connection's close callback
  void handle_closed();
  char* read_buffer() { return read_buffer_.data(); }

  uv_loop_t* loop_;
  Router router_;
  HttpServerOptions options_;
  uv_tcp_t listener_{};
  uv_timer_t timer_{};
  bool started_ = false;  // the listener and timer handles are initialised
  bool closing_ = false;
  int open_handles_ = 0;  // listener + timer, until their close callbacks
  int port_ = 0;
  std::function<void()> on_closed_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::vector<char> read_buffer_ =
      std::vector<char>(kReadBufferSize);  // shared by all connections: a read is consumed at once
};

}  // namespace kite::server::http
