// One device (or service) connection on a worker loop: moves bytes between its TCP socket and
// its protocol Session, and hands the session's events to its role.
//
// Its parts, one file a concern: connection.cc (the socket: reads, writes, flow control, close),
// connection_lifecycle.h (its stages and what each holds), connection_handshake.cc (hello to
// welcome; the policy in handshake_policy.h), connection_session.cc (session events to the role,
// and the end), connection_commands.cc, connection_tls.cc, connection_record.cc and
// connection_tunnel.cc (the WebSocket port's HTTP fallback). What a
// device or a service does with an open session is its role's (peer_role.h: device_role.h,
// service_role.h), chosen when the hello is accepted.
//
// Rules it keeps:
//  - the uv_tcp_t is the first member and the Connection is deleted only in its close callback;
//    write callbacks always run before that (libuv guarantees it), so they may use `this`;
//  - other threads never touch a Connection: they post to its worker with its id, and a task
//    for an id that is gone finds nothing;
//  - output is written once per loop turn: a session call marks the connection dirty, and the
//    worker's flush writes everything of the turn at once (worker.h);
//  - its lifecycle is one enum, Accepted -> Handshaking -> Welcoming -> Open -> Closing, drawn in
//    connection_lifecycle.h with the counts, gauges and routes each stage holds and where each
//    is released;
//  - reading stops for two reasons of its own (flow control), each with its own way back:
//
//        reading ── uplink bucket in debt ──▶ paused  ── paid_at(), on_deadline() ──▶ reading
//        reading ── write queue > 4 × mark ─▶ blocked ── queue ≤ mark, on_write() ──▶ reading
//
//    the bucket is uplink_bucket.h, the mark session.write_high_water_bytes; both may hold at
//    once, and the socket is read again only when neither does;
//  - the bytes go through a WirePipe (kite/tls/wire_pipe.h): on the TLS listener a TlsChannel
//    sits between the socket and the session (connection_tls.cc): the session sees plaintext
//    only, the socket and write_queue_bytes_ ciphertext only; nothing the session writes leaves
//    before the TLS handshake is done;
//  - when recording is on (connection_record.cc), a ConnectionRecorder sees the session's
//    plaintext both ways; otherwise recorder_ is null and costs a pointer check per read and write;
//  - behind a proxy that sends PROXY headers (connection_proxy.cc), a connection from a listed
//    proxy reads its header first and is admitted (address lists, caps) as the client the header
//    names, who is then ip_ everywhere; the bytes after the header go to the wire unchanged.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/peer_gate.h"
#include "common/proxy_header.h"
#include "common/proxy_signature_watch.h"
#include "core/command_table.h"
#include "core/connection_lifecycle.h"
#include "core/delivery/delivery_batch.h"
#include "core/downlink_decision.h"
#include "core/handshake_policy.h"
#include "core/peer_ip.h"
#include "core/peer_role.h"
#include "core/registry.h"
#include "core/timing_wheel.h"
#include "core/uplink_bucket.h"
#include "kite/protocol/session.h"
#include "kite/tls/wire_pipe.h"
#include "record/connection_recorder.h"
#include "websocket/tunnel.h"

namespace kite::server {

class Worker;

// A WheelEntry itself: the worker's timing wheel hands it back on a deadline.
class Connection final : public protocol::SessionHandler,
                         public kite::tls::WireHost,
                         public websocket::TunnelHost,
                         public WheelEntry {
 public:
  Connection(Worker& worker, std::uint64_t id);

  // Accepts from `listener` and starts reading; false if refused (the connection then closes
  // itself: nothing more to do for the caller). `tls`: the TLS listener's context; null for
  // plain TCP.
  // `websocket`: a WebSocket listener's connection (its upgrade first, then binary messages).
  bool start(uv_stream_t* listener, std::shared_ptr<const kite::tls::TlsContext> tls = nullptr,
             bool websocket = false);
  // The session's end of a polled tunnel's socketpair (poll_tunnel.h; it owns `fd` from now
  // on), admitted as the client at `ip` that opened the tunnel. False if refused.
  bool start_tunnel(int fd, const PeerIp& ip);

  std::uint64_t id() const { return id_; }
  const std::string& device_id() const { return session_.device_id(); }

  // A message just stored for this device: sent now if it is the next in the queue and there is
  // room, else read from the store when there is (downlink_decision.h). Seq 0: new messages are
  // in the store.
  void deliver(const Delivery& delivery);
  // The device's latest ack, for the worker's store write of this turn (clears ack_queued).
  std::uint64_t take_queued_ack() {
    ack_queued = false;
    return queued_ack_;
  }
  // The highest QoS 1 uplink seq of this turn, for the worker's store write (uplink_queued).
  std::uint64_t queued_uplink() const { return queued_uplink_; }
  // That write is done (or failed): the role acknowledges the uplinks it held.
  void after_uplink_write(bool written);
  // The store may have written what this connection's held acks wait for (held_acks.h); true
  // while some are still held.
  bool release_held() { return role_ && !closing() && role_->release_held(); }
  // A QoS 0 publish, encoded once for every device it goes to (core/delivery/dispatcher.h):
  // sent now if there is room, else dropped (and counted).
  void send_shared(const protocol::SharedPublish& publish);
  // Sends a command; `done` runs once on this worker with the reply, the timeout, or the reason
  // it could not be sent (command_admission.cc: caps and a device that does not read).
  void send_command(std::string_view name, std::string_view payload, std::uint32_t timeout_ms,
                    CommandDone done, std::shared_ptr<const CommandTicket> ticket = {});
  // The server ends this session: goaway with a reason the device sees, then close.
  void kick(protocol::Reason reason, std::uint32_t reconnect_after_ms, std::string_view message);
  // Writes whatever the session has produced (the worker calls it once per loop turn).
  void flush();
  // The HTTP fallback (connection_tunnel.cc, websocket/tunnel.h). On the connection carrying a
  // streamed tunnel: a POST's uplink bytes, for its session as if read from its own socket.
  websocket::TunnelAnswer tunnel_uplink(const websocket::TunnelUplink& uplink);
  // On the connection carrying a POST or a poll: the tunnel's worker answered it.
  void answer_tunnel_request(const websocket::TunnelAnswer& answer);
  // A deadline in the timing wheel came due.
  void on_deadline();
  // TLS connections whose client certificate `context` (a reloaded CRL) revokes are kicked.
  void check_certificate(const kite::tls::TlsContext& context);
  // A session opened with a token signed by a key older than `generation` is ended.
  void check_token_key(std::uint64_t generation);
  // The worker's recording settings changed: starts, keeps or stops recording this connection.
  void update_recording();

  // --- for its role (peer_role.h) ------------------------------------------------------------
  Worker& worker() { return worker_; }
  protocol::Session& session() { return session_; }
  const PeerIp& ip() const { return ip_; }
  bool closing() const { return lifecycle_.closing(); }
  std::int64_t now() const;
  // This connection as a route (registry or service directory), online since `since_ms`.
  Route route(std::int64_t since_ms) const;
  std::int64_t hello_ms() const { return hello_ms_; }  // wall clock, when its Hello arrived
  // Whether the peer can take another message now (downlink_decision.h).
  DownlinkRoom downlink_room() const;
  // After every call into the session: output to flush this turn, deadlines, flow control.
  void after_session_call();
  // Charges the uplink bucket (uplink_bucket.h); reading pauses while it is in debt.
  void charge_uplink(double tokens = 1);
  // Puts the device's ack (or QoS 1 uplink seq) in this turn's store write (worker.h).
  void queue_ack(std::uint64_t seq);
  void queue_uplink(std::uint64_t seq);

 private:
  // protocol::SessionHandler
  void on_hello(const protocol::HelloInfo& hello) override;
  void on_authenticated(std::string_view device_id) override;
  void on_open(const protocol::OpenInfo& info) override;
  void on_frame(wire::Message type, std::size_t body_bytes) override;
  void on_message(const protocol::IncomingMessage& message) override;
  void on_acked(std::uint64_t seq) override;
  void on_reply(const protocol::ReplyInfo& reply) override;
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override;
  void on_writable() override;
  void on_close(const protocol::CloseInfo& info) override;

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* request, int status);
  static void on_closed(uv_handle_t* handle);

  void welcome(std::vector<std::string> groups);
  // What the TLS listener knows of the peer's certificate (handshake_policy.h).
  PeerCertificate peer_certificate() const;
  // kite::tls::WireHost (connection_tls.cc): the pipe's session, TLS events and plaintext taps.
  protocol::Session* wire_session() override { return &session_; }
  void on_tls_established() override;
  bool wire_receiving() const override { return !closing(); }
  void on_plaintext_in(std::span<const std::uint8_t> plaintext) override;
  void on_plaintext_out(std::span<const std::uint8_t> plaintext) override;
  // What a read that ended the transport means for the session: a TLS failure or close_notify.
  void after_arrival(kite::tls::WirePipe::Arrival arrival);
  void on_tls_failure();
  void log_layer_end();
  // The WebSocket port's layer ended an HTTP exchange that went as it should
  // (connection_session.cc).
  bool answered_http_exchange() const;
  kite::tls::TlsChannel* tls() { return wire_.channel(); }
  const kite::tls::TlsChannel* tls() const { return wire_.channel(); }
  // connection_record.cc: the recorder made (`from_start`: at accept) and fed; each drops it once
  // the connection is no longer recorded.
  void start_recording(bool from_start);
  void record_uplink(std::span<const std::uint8_t> plaintext);
  void record_downlink(std::span<const std::uint8_t> plaintext);
  void record_identified(std::string_view device);
  void record_close_reason(const protocol::CloseInfo& info);
  std::string peer_endpoint() const;  // "IP:port", "[IPv6]:port"
  // The admission at accept (or, behind a proxy, once its header named the client): the port's
  // gate, then the unauthenticated cap. False if refused (the connection is closing then).
  bool admit_peer();
  // connection_proxy.cc: the PROXY header of a listed proxy, a forged one from anyone else.
  bool await_proxy_header(ProxyVersions versions);
  // How many leading bytes of a read are not for the wire (a header's); nullopt: none of it is
  // (the header is incomplete, or the connection was refused for it).
  std::optional<std::size_t> before_wire(std::span<const std::uint8_t> bytes);
  std::optional<std::size_t> take_proxy_header(std::span<const std::uint8_t> bytes);
  void refuse_proxy(Refusal refusal, std::string_view detail);
  // The deadline came while the header is awaited: true if that refused the connection.
  bool proxy_header_late();
  void proxy_header_cut_off();  // the peer closed inside the header
  void refuse(protocol::Reason reason, std::string_view message);
  // websocket::TunnelHost (connection_tunnel.cc): requests to the worker holding a tunnel.
  void route_uplink(websocket::TunnelUplink uplink) override;
  std::optional<websocket::TunnelName> open_poll_tunnel() override;
  void route_poll(websocket::TunnelName tunnel, std::uint64_t from) override;
  void pause_reading();
  void resume_reading();
  void close_socket();
  void fail_socket();

  uv_tcp_t tcp_{};  // first: the handle's memory is the Connection's
  Worker& worker_;
  std::uint64_t id_;
  protocol::Session session_;
  kite::tls::WirePipe wire_;  // plain TCP, or TLS on the TLS listener's connections
  std::unique_ptr<record::ConnectionRecorder> recorder_;  // null unless this one is recorded
  std::unique_ptr<PeerRole> role_;  // a device's or a service's; null until the welcome
  std::unique_ptr<ProxyHeaderParser> proxy_header_;  // a listed proxy's, until its header is in
  std::uint64_t resume_last_received_ = 0;  // the hello's ResumeClaim, for the device's welcome
  std::int64_t hello_ms_ = 0;               // wall clock; which of a device's connections is newest
  std::uint64_t queued_ack_ = 0;            // see take_queued_ack()
  std::uint64_t queued_uplink_ = 0;         // see queued_uplink()
  std::size_t write_queue_bytes_ = 0;       // written to libuv, not yet on the wire
  Millis resume_reading_at_ = 0;
  TokenLimit token_limit_;      // a token session ends with its token
  UplinkBucket uplink_bucket_;  // the uplink rate limit, made full when the session opens
  // The small fields last and together, so that they pack into whole words: every connection
  // pays for this object (docs/benchmarks.md, "Memory per idle authenticated connection").
  PeerIp ip_;  // the client's: the socket's peer, or the one a listed proxy's header named
  ConnectionLifecycle lifecycle_;     // the stage, and so what it holds (connection_lifecycle.h)
  ProxySignatureWatch forged_watch_;  // anyone else's first bytes, while watching_forged_
  std::uint16_t proxied_port_ = 0;    // the client's port from the header; 0: not proxied
  bool watching_forged_ = false;      // PROXY protocol is on and this peer is no listed proxy
  bool resume_valid_ = false;         // and whether its resume token holds
  bool reading_paused_ = false;       // over the uplink rate: not reading until resume_reading_at_
  bool reading_blocked_ = false;  // write queue above its read-stop mark: not reading until drained

 public:
  // The worker's lists for this loop turn (worker.h): output to flush, an ack and an uplink seq
  // to store.
  bool dirty = false;
  bool ack_queued = false;
  bool uplink_queued = false;
};

}  // namespace kite::server
