// Many protocol clients on one libuv loop, for the load generator (bench/) and kite replay: each
// BenchClient is a TCP connection driving a client-role Session, through a TlsChannel when the loop
// has a TLS context (the Hello then waits for the TLS handshake); the loop shares the protocol
// context, the TLS context, one read buffer, a once-per-turn flush of output and a periodic tick
// for deadlines.
//
// Lifetime: a BenchClient is owned by the ClientLoop (clients are created through it and live
// until the loop is destroyed); its uv handle is closed, never freed, before that.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "kite/protocol/session.h"
#include "kite/tls/wire_pipe.h"
#include "kite/websocket/client_opening.h"

namespace kite::bench {

struct Identity {
  std::string id;
  protocol::AuthMethod method = protocol::AuthMethod::Hmac;
  protocol::DeviceKey key{};
  std::string token;
};

class BenchClient;

struct ClientEvents {
  std::function<void(BenchClient&)> opened;
  std::function<void(BenchClient&, const protocol::IncomingMessage&)> message;
  std::function<void(BenchClient&)> writable;
  // kited confirmed every publish up to `seq` (cumulative).
  std::function<void(BenchClient&, std::uint64_t seq)> acked;
  // An Error frame about one message or request (`ref`: its seq or id); the session stays open.
  std::function<void(BenchClient&, protocol::Reason, std::uint64_t ref)> error;
  std::function<void(BenchClient&, const protocol::CloseInfo&)> closed;
};

// What ended a connection below the protocol, if that is what ended it (error_kind.h names it).
enum class TransportFailure : std::uint8_t { None, ConnectRefused, ConnectFailed, Tls, Lost };

class ClientLoop {
 public:
  explicit ClientLoop(protocol::SessionConfig config);
  ~ClientLoop();

  uv_loop_t* loop() { return &loop_; }
  protocol::SessionContext& context() { return context_; }
  // Clients added from now on speak TLS with channels made from `context`.
  void use_tls(std::shared_ptr<const tls::TlsContext> context) { tls_ = std::move(context); }
  const std::shared_ptr<const tls::TlsContext>& tls() const { return tls_; }
  // Clients added from now on speak WebSocket, upgrading at `path` with Host `host`.
  void use_websocket(std::string path, std::string host) {
    websocket_ = websocket::ClientOpeningOptions{std::move(host), std::move(path), {}};
  }
  const std::optional<websocket::ClientOpeningOptions>& websocket() const { return websocket_; }
  std::int64_t now() { return static_cast<std::int64_t>(uv_now(&loop_)); }

  // A new client (not yet connected). `source` binds its socket to that local IP ("" = any).
  BenchClient& add(Identity identity, const sockaddr_storage& target, std::string source,
                   ClientEvents* events);
  std::size_t size() const { return clients_.size(); }
  BenchClient& client(std::size_t i) { return *clients_[i]; }

  // Runs `callback` each `period_ms` on the loop (progress lines, pacing), or once after
  // `delay_ms` (the phases of a run); stop() cancels both.
  void every(std::uint64_t period_ms, std::function<void()> callback);
  void after(std::uint64_t delay_ms, std::function<void()> callback);
  void run();
  void stop();

  void mark_dirty(BenchClient& client);
  // Ticks `client` at `deadline` when that comes before the periodic tick, as a device's own
  // timer would: a held ack goes out on time. (With the 50 ms tick alone, acks left in bunches.)
  void wake_at(BenchClient& client, std::int64_t deadline);
  uv_buf_t read_buffer(std::size_t offset_hint);

 private:
  static constexpr std::int64_t kTickMs = 50;
  using Wake = std::pair<std::int64_t, BenchClient*>;

  static void on_prepare(uv_prepare_t* handle);
  static void on_tick(uv_timer_t* handle);
  static void on_wake(uv_timer_t* handle);
  void schedule(std::uint64_t delay_ms, std::uint64_t repeat_ms, std::function<void()> callback);

  uv_loop_t loop_{};
  uv_prepare_t prepare_{};
  uv_timer_t tick_{};
  uv_timer_t wake_{};
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes_;  // earliest first
  std::int64_t wake_armed_at_ = INT64_MAX;
  std::vector<std::unique_ptr<uv_timer_t>> periodic_;
  std::vector<std::unique_ptr<std::function<void()>>> periodic_callbacks_;
  protocol::SessionContext context_;
  std::shared_ptr<const tls::TlsContext> tls_;
  std::optional<websocket::ClientOpeningOptions> websocket_;
  std::vector<std::unique_ptr<BenchClient>> clients_;
  std::vector<BenchClient*> dirty_;
  std::vector<std::uint64_t> read_buffer_words_;
};

class BenchClient final : public protocol::SessionHandler, public tls::WireHost {
 public:
  BenchClient(ClientLoop& loop, Identity identity, const sockaddr_storage& target,
              std::string source, ClientEvents* events, std::size_t index);

  void connect();
  void close();  // ends the session politely and closes the socket
  bool is_open() const { return socket_open_ && session_ && session_->is_open(); }
  bool connected_once() const { return opened_; }
  protocol::Session& session() { return *session_; }
  std::size_t index() const { return index_; }
  const std::string& id() const { return identity_.id; }
  // When connect() was called, on uv_hrtime()'s clock (ns): handshakes take well under a ms.
  std::uint64_t connect_started_ns() const { return connect_started_; }
  TransportFailure transport_failure() const { return transport_failure_; }

  void flush();
  void tick(std::int64_t now);
  bool dirty = false;
  std::int64_t wake_at = 0;  // the deadline ClientLoop::wake_at last queued, to queue it once

 private:
  void on_open(const protocol::OpenInfo& info) override;
  void on_message(const protocol::IncomingMessage& message) override;
  void on_writable() override;
  void on_acked(std::uint64_t seq) override;
  void on_error(protocol::Reason reason, std::uint64_t ref, std::string_view message) override;
  void on_close(const protocol::CloseInfo& info) override;

  static void on_connect(uv_connect_t* request, int status);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* request, int status);

  void start_session();
  // tls::WireHost: the session waits (Idle) until TLS and WebSocket are up, then says its Hello.
  protocol::Session* wire_session() override { return session_.get(); }
  void on_wire_ready() override;
  // Ends the connection for `failure` (the socket is gone or unusable) and reports it closed.
  void fail(TransportFailure failure, std::string why);
  void shut_socket();

  ClientLoop& loop_;
  Identity identity_;
  sockaddr_storage target_;
  std::string source_;
  ClientEvents* events_;
  std::size_t index_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_request_{};
  std::unique_ptr<protocol::Session> session_;
  tls::WirePipe wire_;  // plain TCP, or the loop's TLS and WebSocket
  bool socket_open_ = false;
  bool opened_ = false;
  std::uint64_t connect_started_ = 0;
  TransportFailure transport_failure_ = TransportFailure::None;
  bool closed_reported_ = false;  // the closed event fires once, whichever end went first
};

}  // namespace kite::bench
