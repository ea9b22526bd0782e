// One kited process: the store, the registry, the authenticator, the worker loops and the gates
// of both ports (address lists, per-IP caps), started and stopped together. The admin HTTP API
// (api/) and kited's start (boot/) sit on top of it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/peer_gate.h"
#include "core/command_table.h"
#include "core/delivery/dispatcher.h"
#include "core/server_context.h"
#include "core/worker_lanes.h"
#include "core/worker_metrics.h"
#include "record/worker_recorder.h"

namespace kite::server {

class Worker;

class Server {
 public:
  Server(CoreOptions options, std::unique_ptr<MessageStore> store,
         std::unique_ptr<Authenticator> auth);
  ~Server();

  // Binds every worker's listeners and starts the loops; "" or what went wrong.
  std::string start();
  // Goaway with `reason` to every connection, then stops the loops.
  void stop(protocol::Reason reason);

  ServerContext& context() { return context_; }
  Authenticator& auth() { return *auth_; }
  MessageStore& store() { return *store_; }
  GroupDirectory& groups() { return groups_; }
  // Who may connect to the device port (every worker asks it at accept) and to the admin port
  // (boot/admin_loop.cc hands it to the HTTP server). configure() them before start(), and on
  // SIGHUP.
  PeerGate& device_gate() { return device_gate_; }
  const PeerGate& device_gate() const { return device_gate_; }
  PeerGate& admin_gate() { return admin_gate_; }
  const PeerGate& admin_gate() const { return admin_gate_; }
  // The log that device events go to (GET /v1/events); set before start(), outlives the workers.
  void set_event_log(events::EventLog* log) { context_.events = log; }
  // The TLS device listener's context (options.tls_listen set): set before start(); reload_tls()
  // swaps it for new connections and closes live sessions whose certificate `fresh` revokes.
  void set_tls_context(std::shared_ptr<const kite::tls::TlsContext> context);
  void reload_tls(std::shared_ptr<const kite::tls::TlsContext> fresh);
  std::shared_ptr<const kite::tls::TlsContext> tls_context() const { return device_tls_.context(); }
  // Recording (record/, docs/recording.md): the settings in force, and new ones for every worker,
  // which each apply them on their loop. Admin loop thread only (PUT /v1/recording, SIGHUP).
  const record::RecordSettings& recording() const { return recording_; }
  void set_recording(record::RecordSettings settings);
  // What every worker's recorder wrote since start (any thread).
  record::RecordTotals recording_totals() const;
  // The one way messages reach devices: stored or encoded once, carried to their workers
  // (core/delivery/dispatcher.h). Any thread.
  Dispatcher& delivery() { return *delivery_; }
  // Where each stored message stands (GET /v1/messages/{id}); null when status is off
  // (status_window_ms 0). Any thread.
  MessageStatusBook* statuses() { return statuses_.get(); }
  // Where each online device is connected (any thread).
  const Router& router() const { return registry_; }
  // A node of a cluster: `cluster` hears of every device that comes online or goes offline here,
  // and is asked to wake those elsewhere that messages were stored for. Before start().
  void join_cluster(ClusterPresence* cluster) {
    registry_.set_cluster(cluster);
    cluster_ = cluster;
  }
  // Another node stored messages for this device: if it is connected here, its connection reads
  // its queue (any thread).
  void wake(std::string_view device_id);
  // Another node was asked to send these to every device: `sink` (the admin API's bulk sends)
  // sends them to the devices connected here. send_everyone_here() runs on the cluster's thread;
  // without a sink (none yet, or the admin API stopping) the messages reach nobody here.
  using EveryoneSink = std::function<void(std::vector<EveryoneMessage>)>;
  void set_everyone_sink(EveryoneSink sink) {
    std::lock_guard lock(everyone_mutex_);
    everyone_sink_ = std::move(sink);
  }
  void send_everyone_here(std::vector<EveryoneMessage> messages) {
    std::lock_guard lock(everyone_mutex_);
    if (everyone_sink_) everyone_sink_(std::move(messages));
  }
  const DeviceFrameLimits& frame_limits() const { return *frame_limits_; }
  const CoreOptions& options() const { return context_.options; }
  const events::EventLog* event_log() const { return context_.events; }

  // Every worker's metrics (any thread may read them: see worker_metrics.h).
  std::vector<const WorkerMetrics*> worker_metrics() const;
  // Draining: the server is going away; /readyz says not ready so load balancers move on.
  void set_draining() { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  // Sends a command to the device wherever it is connected. `done` runs exactly once: on the
  // calling thread if the device is not online here or the server-wide cap is reached, else on
  // the device's worker thread. A set `ticket` lets abandon_command() end it early.
  void send_command(std::string_view device_id, std::string name, std::string payload,
                    std::uint32_t timeout_ms, CommandDone done,
                    std::shared_ptr<CommandTicket> ticket = {});
  // The same for a device connected here only: a command another node forwarded.
  void send_command_here(std::string_view device_id, std::string name, std::string payload,
                         std::uint32_t timeout_ms, CommandDone done,
                         std::shared_ptr<CommandTicket> ticket = {});
  // The HTTP client of a command went away: marks its ticket and ends it on its worker.
  void abandon_command(std::string_view device_id, const std::shared_ptr<CommandTicket>& ticket);
  // Commands awaiting a reply, server-wide (capped by max_pending_commands).
  std::size_t pending_commands() const { return pending_commands_.load(); }
  // Ends the device's session with a reason it sees (kick, revocation); for "service:NAME",
  // every connection of that service. Returns how many sessions it ends.
  std::size_t kick(std::string_view device_id, protocol::Reason reason, std::string message,
                   std::uint32_t reconnect_after_ms = 0);
  // What a reload of the key material ends (Authenticator::reload): revoked devices and
  // services, services whose key changed, and token sessions signed by a replaced key.
  void apply_reload(const ReloadEffects& effects);

 private:
  std::unique_ptr<MessageStore> store_;
  std::unique_ptr<Authenticator> auth_;
  Registry registry_;
  ClusterPresence* cluster_ = nullptr;  // set by join_cluster()
  std::mutex everyone_mutex_;           // the sink may go while the cluster's thread calls it
  EveryoneSink everyone_sink_;          // guarded by everyone_mutex_
  // One of the max_pending_commands slots for `done`, given back when it runs; false (Busy
  // answered) when all are taken.
  bool take_command_slot(CommandDone& done);
  ServiceDirectory services_;
  GroupDirectory groups_{store_.get()};
  PeerGate device_gate_{"device"};
  PeerGate admin_gate_{"admin"};
  DeviceTls device_tls_;
  std::unique_ptr<DeviceFrameLimits> frame_limits_;
  ServerContext context_;
  std::vector<std::unique_ptr<Worker>> workers_;
  WorkerLanes lanes_{context_.workers};
  std::unique_ptr<MessageStatusBook> statuses_;  // before delivery_, which refers to it
  std::unique_ptr<Dispatcher> delivery_;         // made once the options and workers are set
  record::RecordSettings recording_;
  bool started_ = false;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> pending_commands_{0};
};

}  // namespace kite::server
