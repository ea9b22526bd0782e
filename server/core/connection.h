// One device (or service) connection on a worker loop: moves bytes between its TCP socket and
// its protocol Session, and connects the session's events to the rest of kited.
//
// Its parts, one file a role: connection.cc (the socket, its reads, writes and close),
// connection_handshake.cc (hello to welcome), connection_delivery.cc (downlink and acks),
// connection_uplink.cc (what the peer publishes, the uplink rate limit), connection_requests.cc
// (commands and self-managed groups), connection_tls.cc and connection_record.cc.
//
// Rules it keeps:
//  - the uv_tcp_t is the first member and the Connection is deleted only in its close callback;
//    write callbacks always run before that (libuv guarantees it), so they may use `this`;
//  - other threads never touch a Connection: they post to its worker with its id, and a task
//    for an id that is gone finds nothing;
//  - downlink QoS 1 messages come from the durable store, read while the device has credit and
//    the socket's write queue is below the high-water mark: a slow or offline device costs disk,
//    not memory;
//  - its lifecycle is one enum, Accepted -> Handshaking -> Welcoming -> Open -> Closing, drawn in
//    connection_lifecycle.h with the counts, gauges and routes each stage holds and where each
//    is released;
//  - the bytes go through a WirePipe (kite/tls/wire_pipe.h): on the TLS listener a TlsChannel
//    sits between the socket and the session (connection_tls.cc): the session sees plaintext
//    only, the socket and write_queue_bytes_ ciphertext only; nothing the session writes leaves
//    before the TLS handshake is done;
//  - when recording is on (connection_record.cc), a ConnectionRecorder sees the session's
//    plaintext both ways; otherwise recorder_ is null and costs a pointer check per read and write.
#pragma once

#include <uv.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/command_table.h"
#include "core/connection_lifecycle.h"
#include "core/delivery/delivery_batch.h"
#include "core/downlink_decision.h"
#include "core/handshake_policy.h"
#include "core/peer_ip.h"
#include "core/receipt_tracker.h"
#include "core/timing_wheel.h"
#include "core/uplink_bucket.h"
#include "kite/protocol/session.h"
#include "kite/tls/wire_pipe.h"
#include "record/connection_recorder.h"

namespace kite::server {

class Worker;

// A WheelEntry itself: the worker's timing wheel hands it back on a deadline.
class Connection final : public protocol::SessionHandler,
                         public kite::tls::WireHost,
                         public WheelEntry {
 public:
  Connection(Worker& worker, std::uint64_t id);

  // Accepts from `listener` and starts reading; false if refused (the connection then closes
  // itself: nothing more to do for the caller). `tls`: the TLS listener's context; null for
  // plain TCP.
  bool start(uv_stream_t* listener, std::shared_ptr<const kite::tls::TlsContext> tls = nullptr);

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
  // That write is done (or failed): acknowledges the uplinks it held (connection_uplink.cc).
  void after_uplink_write(bool written);
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
  // A deadline in the timing wheel came due.
  void on_deadline();
  // TLS connections whose client certificate `context` (a reloaded CRL) revokes are kicked.
  void check_certificate(const kite::tls::TlsContext& context);
  // A session opened with a token signed by a key older than `generation` is ended.
  void check_token_key(std::uint64_t generation);
  // The worker's recording settings changed: starts, keeps or stops recording this connection.
  void update_recording();

  bool dirty = false;
  bool ack_queued = false;
  bool uplink_queued = false;

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
  bool wire_receiving() const override { return !closing_; }
  void on_plaintext_in(std::span<const std::uint8_t> plaintext) override;
  void on_plaintext_out(std::span<const std::uint8_t> plaintext) override;
  // What a read that ended the transport means for the session: a TLS failure or close_notify.
  void after_arrival(kite::tls::WirePipe::Arrival arrival);
  void on_tls_failure();
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
  void refuse(protocol::Reason reason, std::string_view message);
  void accept_from_service(const protocol::IncomingMessage& message);
  void send_stored(const Delivery& stored, std::uint64_t wall);
  void dead_letter(const Delivery& stored);
  bool has_room_for_transient() const;
  DownlinkRoom downlink_room() const;
  void after_transient(bool sent);  // counts a QoS 0 publish sent or dropped
  void charge_uplink(double tokens = 1);
  void acknowledge_uplink(std::uint64_t seq);
  void pause_reading();
  void resume_reading();
  void pump();
  void after_session_call();
  void close_socket();
  void fail_socket();
  std::int64_t now() const;

  uv_tcp_t tcp_{};  // first: the handle's memory is the Connection's
  Worker& worker_;
  std::uint64_t id_;
  protocol::Session session_;
  kite::tls::WirePipe wire_;  // plain TCP, or TLS on the TLS listener's connections
  std::unique_ptr<record::ConnectionRecorder> recorder_;  // null unless this one is recorded
  PeerIp ip_;
  ConnectionLifecycle lifecycle_;       // the stage, and so what it holds (connection_lifecycle.h)
  ClosingView closing_{lifecycle_};     // the same, as connection_tls.cc tests it
  std::uint64_t last_stored_sent_ = 0;  // highest store seq handed to the session
  ReceiptTracker receipts_;             // sent, not yet acknowledged (when receipts are recorded)
  std::uint64_t queued_ack_ = 0;        // see take_queued_ack()
  std::uint64_t queued_uplink_ = 0;     // see queued_uplink()
  std::uint64_t held_ack_ = 0;          // uplink seq acknowledged after this turn's store write
  std::size_t write_queue_bytes_ = 0;   // written to libuv, not yet on the wire
  std::uint64_t hello_last_received_ = 0;
  bool hello_resume_valid_ = false;
  bool service_ = false;          // a backend sending to devices, not a device
  bool backlog_ = false;          // the store may hold more than was sent
  bool reading_paused_ = false;   // over the uplink rate: not reading until resume_reading_at_
  bool reading_blocked_ = false;  // write queue above its read-stop mark: not reading until drained
  Millis resume_reading_at_ = 0;
  TokenLimit token_limit_;      // a token session ends with its token
  UplinkBucket uplink_bucket_;  // the uplink rate limit, made full when the session opens
};

}  // namespace kite::server
