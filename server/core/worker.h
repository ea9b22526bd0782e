// One worker: a thread running one libuv loop, the connections that live on it, and the
// per-loop things they share (protocol context, read buffer, timing wheel, flush list).
//
// Rules it keeps:
//  - a connection lives on one loop; other threads reach it only through post(), which queues a
//    task and wakes the loop with uv_async_t (the queue's mutex is held for a vector push, never
//    across I/O or protocol work);
//  - reads land in one per-loop buffer: an idle connection holds no read buffer;
//  - output is flushed once per loop turn (uv_prepare): many messages to one connection in a
//    turn become one write; the devices' acks and QoS 1 uplink seqs of the turn become one store
//    write, and those uplinks are acknowledged after it;
//  - each worker binds its own SO_REUSEPORT listener (and its own TLS listener when [tls] listen
//    is set), so the kernel spreads new connections across loops;
//  - each worker records its own connections into its own files (record/worker_recorder.h): new
//    settings arrive as a posted task, and its wheel tick flushes what was recorded.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/command_table.h"
#include "core/delivery/delivery_batch.h"
#include "core/peer_ip.h"
#include "core/poll_tunnel.h"
#include "core/server_context.h"
#include "core/service_ingest.h"
#include "core/timing_wheel.h"
#include "core/transient_budget.h"
#include "core/worker_metrics.h"
#include "kite/protocol/session_context.h"
#include "record/worker_recorder.h"

namespace kite::server {

class Connection;

class Worker {
 public:
  using Task = std::function<void(Worker&)>;

  Worker(std::uint32_t index, ServerContext& context);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the listeners (in the caller's thread, so errors are reported before start), then runs
  // the loop on a thread of its own.
  std::string listen();
  void start();
  // Closes listeners and connections (goaway `reason` first), stops the loop, joins the thread.
  void stop(protocol::Reason reason);

  // Thread-safe: runs `task` on this worker's loop.
  void post(Task task);
  // The worker whose loop runs on the calling thread; null on any other thread.
  static Worker* on_this_thread();

  // --- for connections (loop thread only) ----------------------------------------------------
  std::uint32_t index() const { return index_; }
  uv_loop_t* loop() { return &loop_; }
  ServerContext& context() { return context_; }
  protocol::SessionContext& session_context() { return session_context_; }
  TimingWheel& wheel() { return wheel_; }
  Connection* find(std::uint64_t connection_id);
  void forget(std::uint64_t connection_id);
  void mark_dirty(Connection& connection);
  // The connection has a device ack for the store: written with the others of this loop turn.
  void queue_ack(Connection& connection);
  // The connection has a QoS 1 uplink seq for the store: written in the same write, and only then
  // acknowledged to the device (Connection::after_uplink_write).
  void queue_uplink(Connection& connection);
  // Stored messages carried to this worker's connections (core/delivery/dispatcher.h).
  void deliver(const DeliveryBatch& batch);
  ServiceIngest& service_ingest() { return service_ingest_; }
  // The connection holds acks until the store writes what they confirm (held_acks.h): offered
  // the store's progress every loop turn until it holds none.
  void watch_held(Connection& connection);
  CommandTable& commands() { return commands_; }
  // QoS 0 frames posted to this worker (transient_budget.h); any thread.
  TransientBudget& transient_budget() { return transient_budget_; }
  // Device events (events/): kept for this loop turn, appended to the event log in one call at
  // its end, after the turn's acks are stored.
  bool records(events::EventType type) const {
    return context_.events != nullptr &&
           (context_.options.event_types >> static_cast<unsigned>(type) & 1) != 0;
  }
  events::EventBatch& events() { return pending_events_; }
  // The HTTP fallback's polled tunnels on this loop (poll_tunnel.h), by their session
  // connection's id: a new one for a client at `ip` (its name; nullopt when none can be made).
  std::optional<websocket::TunnelName> open_poll_tunnel(const PeerIp& ip);
  PollTunnel* poll_tunnel(std::uint64_t connection_id);
  // Written by this worker's thread only; any thread may read it (metrics/counter.h).
  WorkerMetrics& metrics() { return metrics_; }
  const WorkerMetrics& metrics() const { return metrics_; }
  // One buffer per loop for every read; TLS decrypts its records back into it, so a connection
  // holds no read or plaintext buffer of its own.
  uv_buf_t read_buffer(std::size_t offset_hint);
  // Ciphertext of one connection's flush, offered to the kernel before anything is queued.
  std::vector<std::uint8_t>& tls_ciphertext() { return tls_ciphertext_; }
  // Kicks the TLS connections whose client certificate `context` (just reloaded) revokes.
  void check_certificates(const kite::tls::TlsContext& context);
  // Ends the token sessions signed by a key older than `generation` (a reload replaced it).
  void check_token_keys(std::uint64_t generation);
  std::size_t connection_count() const { return live_connections_; }
  // This worker's recording; counters() may be read from any thread.
  record::WorkerRecorder& recorder() { return recorder_; }
  const record::WorkerRecorder& recorder() const { return recorder_; }
  // New recording settings (Server::set_recording): every connection starts or stops recording.
  void apply_recording(std::shared_ptr<const record::RecordSettings> settings);

 private:
  static void on_async(uv_async_t* handle);
  static void on_prepare(uv_prepare_t* handle);
  // Shows held events and sends held acks that the store's writes now allow.
  void release_held();
  void publish_events(std::uint64_t ticket);
  bool may_write_behind() const;
  static void on_wheel_timer(uv_timer_t* handle);
  static void on_new_connection(uv_stream_t* listener, int status);
  static void on_new_tls_connection(uv_stream_t* listener, int status);
  static void on_new_ws_connection(uv_stream_t* listener, int status);
  static void on_new_wss_connection(uv_stream_t* listener, int status);

  std::string bind_listener(const std::string& endpoint, uv_connection_cb on_connection);
  // `tls`: the context of a TLS listener's connection; null on a plain listener.
  void accept(uv_stream_t* listener, int status, std::shared_ptr<const kite::tls::TlsContext> tls,
              bool websocket = false);

  // A new connection in a free slot, with its id; null when the worker is full.
  Connection* new_connection();
  void run_tasks();
  void close_loop_handles();
  void flush_dirty();
  void commit_turn();
  void shut_down(protocol::Reason reason);

  std::uint32_t index_;
  ServerContext& context_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_prepare_t prepare_{};
  uv_timer_t wheel_timer_{};
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  std::thread thread_;

  std::mutex inbox_mutex_;
  std::vector<Task> inbox_;
  std::vector<Task> running_;  // swapped with inbox_ each turn

  protocol::SessionContext session_context_;
  TimingWheel wheel_;
  // Connections by slot (8 bytes each, not a hash node): an id is (worker + 1) << 56 |
  // (a per-worker counter, 32 bits) << 24 | slot, so ids are not reused while slots are.
  std::vector<Connection*> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_connections_ = 0;
  std::vector<std::uint64_t> dirty_;
  std::vector<std::uint64_t> flushing_;  // dirty_ of the round being flushed
  std::vector<std::uint64_t> acking_;    // connections with a queued store ack
  std::vector<std::pair<std::string_view, std::uint64_t>> ack_batch_;
  std::vector<std::uint64_t> uplinking_;  // connections with a queued uplink seq
  std::vector<std::pair<std::string_view, std::uint64_t>> uplink_batch_;
  events::EventBatch pending_events_;
  events::EventLog::Reserved reserved_events_;  // this turn's events, written with its acks
  // Turns' events the store has not written yet (write-behind), shown to readers once it has.
  struct HeldEvents {
    std::uint64_t ticket = 0;
    events::EventLog::Reserved reserved;  // its last_id is all publish() needs here
  };
  std::deque<HeldEvents> held_events_;
  std::vector<std::uint64_t> holding_;  // connections with held acks (watch_held)
  ServiceIngest service_ingest_{*context_.delivery, *context_.store,
                                context_.options.default_ttl_ms};
  CommandTable commands_;
  TransientBudget transient_budget_;
  WorkerMetrics metrics_;
  record::WorkerRecorder recorder_;
  std::vector<std::uint64_t> read_buffer_words_;  // 64 KiB + alignment slack
  std::vector<std::uint8_t> tls_ciphertext_;
  std::uint32_t connection_counter_ = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<PollTunnel>> poll_tunnels_;
  bool shutting_down_ = false;
};

}  // namespace kite::server
