// Connection: one accepted TCP connection of the HttpServer (internal to server/http/).
// It moves bytes between libuv, the RequestParser, the Router and the ResponseQueue.
//
// Lifetime rules:
//  - The server's map holds the only lasting reference; the entry is erased in the handle's close
//    callback, so the uv_tcp_t lives until libuv is done with it. Responders hold weak_ptrs.
//  - Each write owns its buffer (WriteRequest) until its callback; a failed uv_write() frees it
//    at once, since its callback will never run.
//  - close() is idempotent; after it nothing is read, written or dispatched, and the close
//    callbacks of unanswered requests run once.
//  - With HttpServerOptions::tls, a TlsChannel sits between the socket and the parser
//    (connection_tls.cc): requests are read only once the TLS handshake is done, every write is
//    encrypted, and close_notify goes before the shutdown. A failed handshake (plain HTTP
//    included) gets the channel's alert, if any, and the close.
//  - Ending a connection politely ("Connection: close", an error, 503): the last bytes are
//    written, then shutdown(), then input is read and dropped until EOF or a short linger
//    timeout, so the client sees our answer rather than a reset.
//  - Behind a proxy that sends PROXY headers (connection_proxy.cc), a connection from a listed
//    proxy is read for its header first and only then passes the server's gate, as the client
//    the header names; until then nothing is parsed. A peer that is no listed proxy is watched
//    for a forged header. A refused one is closed without an answer.
//  - At most max_pipelined requests await an answer: the parser holds the bytes of later ones
//    (unparsed) until answers leave, and no more is dispatched while write_high_water bytes are
//    unsent. A request that overstays its RequestDeadline (head or body too slow) ends the
//    connection (408 when nothing else is owed).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/peer_gate.h"
#include "common/proxy_header.h"
#include "common/proxy_signature_watch.h"
#include "http/message.h"
#include "http/request_deadline.h"
#include "http/request_parser.h"
#include "http/response_queue.h"
#include "kite/tls/channel.h"

namespace kite::server::http {

class HttpServer;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer& server, std::uint64_t id);

  uv_tcp_t* tcp() { return &tcp_; }
  std::uint64_t id() const { return id_; }

  // Starts reading; with a refusal status (503: the server is full, 429: too many connections
  // from this address), answers it and ends the connection instead.
  void start(int refusal = 0);
  void close();
  // Closes the connection if it overstayed: idle, stalled writes, or lingering too long.
  void check_timeout(std::uint64_t now_ms);

  // The Responder's entry points; all are no-ops unless the request is still owed an answer.
  void respond(std::uint64_t sequence, HttpResponse response);
  bool start_stream(std::uint64_t sequence, int status, const Headers& headers);
  bool send_chunk(std::uint64_t sequence, std::string_view bytes);
  void end_stream(std::uint64_t sequence);
  void on_close(std::uint64_t sequence, std::function<void()> callback);
  bool pending(std::uint64_t sequence);
  std::size_t queued_bytes() const { return queued_bytes_; }
  // The address the server's gate counted this connection under (owed a leave() at close).
  void set_gate_ip(const IpAddress& ip) { gate_ip_ = ip; }
  const std::optional<IpAddress>& gate_ip() const { return gate_ip_; }
  // PROXY protocol (connection_proxy.cc). A listed proxy's connection: reads the header, then
  // asks the gate about the client it names and starts (`refusal` as start() takes it).
  void await_proxy_header(ProxyVersions versions, const IpAddress& socket_ip, int refusal);
  // Anyone else's, on a port with PROXY protocol on: refused if it begins with a header.
  void watch_for_forged_header(const IpAddress& socket_ip);

 private:
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_closed(uv_handle_t* handle);

  void handle_input(std::string_view bytes);
  // The bytes of a read before the parser sees them: how many leading ones were a PROXY
  // header's, or nullopt when none of the read is for the parser (incomplete header, refused).
  std::optional<std::size_t> before_input(std::string_view bytes);
  std::optional<std::size_t> take_proxy_header(std::string_view bytes);
  void refuse_proxy(Refusal refusal, std::string_view detail);
  // connection_tls.cc: ciphertext in, plaintext to handle_input(); plaintext out, encrypted.
  void receive_tls(std::string_view ciphertext);
  std::string encrypt(std::string_view plaintext);
  void send_tls_output();
  void end_after_writes();  // shutdown once the writes before it are done
  void dispatch(const HttpRequest& request);
  void refuse_input(const ParseError& error);
  void end_late_request();
  std::size_t room() const;  // requests that may still be dispatched
  void answer(std::uint64_t sequence, std::string bytes, bool close_after);
  void flush();
  void write(std::string bytes);      // encrypted first on HTTPS
  void write_raw(std::string bytes);  // as it is, to the socket
  void after_write();
  void update_reading();
  ResponseQueue::Slot* owed(std::uint64_t sequence, ResponseQueue::State state);

  HttpServer& server_;  // outlives every connection: see HttpServer's lifetime rule
  std::uint64_t id_;
  uv_tcp_t tcp_{};
  RequestParser parser_;
  RequestDeadline deadline_;
  ResponseQueue queue_;
  std::optional<IpAddress> gate_ip_;
  IpAddress socket_ip_;  // the peer of the socket (the proxy, behind one): for PROXY refusals
  std::unique_ptr<ProxyHeaderParser> proxy_header_;  // a listed proxy's, until its header is in
  ProxySignatureWatch forged_watch_;                 // anyone else's, while watching_forged_
  bool watching_forged_ = false;
  int refusal_after_header_ = 0;              // the server's answer decided at accept (503), if any
  std::uint64_t proxy_deadline_ms_ = 0;       // the header must be in by then (head_timeout_ms)
  std::optional<kite::tls::TlsChannel> tls_;  // HTTPS only
  std::uint64_t last_activity_ms_;
  std::size_t queued_bytes_ = 0;  // written, not yet confirmed by a write callback
  int writes_in_flight_ = 0;
  bool reading_ = false;
  bool failed_ = false;     // the parser reported an error, answered once
  bool ending_ = false;     // no more requests: finish writing, then shutdown
  bool lingering_ = false;  // shut down: dropping input until EOF
  bool closed_ = false;
  bool in_input_ = false;  // inside handle_input(): answers must not re-enter it
};

}  // namespace kite::server::http
