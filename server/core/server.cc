#include "core/server.h"

#include <csignal>

#include <fmt/format.h>

#include "common/log.h"
#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {

Server::Server(CoreOptions options, std::unique_ptr<MessageStore> store,
               std::unique_ptr<Authenticator> auth)
    : store_(std::move(store)), auth_(std::move(auth)) {
  context_.options = std::move(options);
  context_.store = store_.get();
  context_.registry = &registry_;
  context_.services = &services_;
  context_.auth = auth_.get();
  context_.groups = &groups_;
  context_.device_gate = &device_gate_;
  // At most a million small-frame devices remembered: about 100 MB at worst.
  frame_limits_ =
      std::make_unique<DeviceFrameLimits>(context_.options.session.max_frame, 1'000'000);
  context_.frame_limits = frame_limits_.get();
  if (!context_.options.tls_listen.empty() || !context_.options.wss_listen.empty())
    context_.tls = &device_tls_;
  if (std::size_t members = groups_.load())
    KITE_LOG(info, "groups.loaded", {{"memberships", members}});
  // Before the workers: their service connections send through it. Its lanes read
  // context_.workers at each call, by which time the loop below has filled it.
  if (context_.options.status_window_ms != 0)
    statuses_ = std::make_unique<MessageStatusBook>(context_.options.status_window_ms,
                                                    context_.options.status_max_entries);
  context_.statuses = statuses_.get();
  delivery_ = std::make_unique<Dispatcher>(*store_, registry_, lanes_, context_.options.session,
                                           statuses_.get());
  context_.delivery = delivery_.get();
  std::uint32_t count = std::max<std::uint32_t>(context_.options.workers, 1);
  for (std::uint32_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, context_));
    context_.workers.push_back(workers_.back().get());
  }
  recording_ = context_.options.record;
}

void Server::wake(std::string_view device_id) {
  const auto route = registry_.find(device_id);
  if (!route || route->worker >= lanes_.count()) return;
  DeliveryBatch batch;
  batch.add({route->connection, 0, 0, 0, {}, {}, {}, {}, {}});  // no message: read the queue
  lanes_.carry(route->worker, batch);
}

Server::~Server() {
  if (started_) stop(protocol::Reason::ServerShutdown);
}

std::string Server::start() {
  // A write to a socket the peer has reset raises SIGPIPE, whose default action ends the process:
  // one device closing with unread data would take every device down. libuv leaves this to the
  // application; writes then fail with EPIPE and only that connection closes.
  std::signal(SIGPIPE, SIG_IGN);
  for (auto& worker : workers_) {
    std::string error = worker->listen();
    if (!error.empty()) return error;
  }
  for (auto& worker : workers_) worker->start();
  started_ = true;
  return {};
}

void Server::stop(protocol::Reason reason) {
  if (!started_) return;
  started_ = false;
  for (auto& worker : workers_) worker->stop(reason);
}

void Server::set_tls_context(std::shared_ptr<const kite::tls::TlsContext> context) {
  device_tls_.set_context(std::move(context));
}

// A CRL reload revokes live sessions too: each worker checks its own TLS connections on its loop.
void Server::reload_tls(std::shared_ptr<const kite::tls::TlsContext> fresh) {
  device_tls_.set_context(fresh);
  for (auto& worker : workers_) worker->post([fresh](Worker& w) { w.check_certificates(*fresh); });
}

void Server::set_recording(record::RecordSettings settings) {
  recording_ = std::move(settings);
  auto shared = std::make_shared<const record::RecordSettings>(recording_);
  for (auto& worker : workers_) worker->post([shared](Worker& w) { w.apply_recording(shared); });
}

std::vector<const WorkerMetrics*> Server::worker_metrics() const {
  std::vector<const WorkerMetrics*> all;
  for (const auto& worker : workers_) all.push_back(&worker->metrics());
  return all;
}

record::RecordTotals Server::recording_totals() const {
  record::RecordTotals totals;
  for (const auto& worker : workers_) totals.add(worker->recorder().counters());
  return totals;
}

// A device connected to another node of a cluster gets the command there; an abandoned HTTP
// request does not cancel a forwarded command (it ends by its reply or timeout).
void Server::send_command(std::string_view device_id, std::string name, std::string payload,
                          std::uint32_t timeout_ms, CommandDone done,
                          std::shared_ptr<CommandTicket> ticket) {
  if (registry_.find(device_id) || !cluster_)
    return send_command_here(device_id, std::move(name), std::move(payload), timeout_ms,
                             std::move(done), std::move(ticket));
  // A forwarded command waits here for its outcome: it holds one of this node's slots too.
  if (!take_command_slot(done)) return;
  if (!cluster_->forward_command(device_id, name, payload, timeout_ms, done))
    done({CommandOutcome::Kind::Offline, 0, {}, "the device is not connected"});
}

bool Server::take_command_slot(CommandDone& done) {
  const std::size_t cap = context_.options.max_pending_commands;
  if (pending_commands_.fetch_add(1) >= cap) {
    pending_commands_.fetch_sub(1);
    done({CommandOutcome::Kind::Busy,
          0,
          {},
          fmt::format("the server has {} commands awaiting replies", cap)});
    return false;
  }
  done = [this, inner = std::move(done)](CommandOutcome outcome) {
    pending_commands_.fetch_sub(1);
    inner(std::move(outcome));
  };
  return true;
}

void Server::send_command_here(std::string_view device_id, std::string name, std::string payload,
                               std::uint32_t timeout_ms, CommandDone done,
                               std::shared_ptr<CommandTicket> ticket) {
  auto route = registry_.find(device_id);
  if (!route) return done({CommandOutcome::Kind::Offline, 0, {}, "the device is not connected"});
  if (!take_command_slot(done)) return;
  workers_[route->worker]->post([c = route->connection, name = std::move(name),
                                 payload = std::move(payload), timeout_ms, done = std::move(done),
                                 ticket = std::move(ticket)](Worker& w) mutable {
    if (Connection* connection = w.find(c))
      connection->send_command(name, payload, timeout_ms, std::move(done), std::move(ticket));
    else
      done({CommandOutcome::Kind::Offline, 0, {}, "the device disconnected"});
  });
}

void Server::abandon_command(std::string_view device_id,
                             const std::shared_ptr<CommandTicket>& ticket) {
  ticket->abandoned.store(true, std::memory_order_relaxed);
  auto route = registry_.find(device_id);
  if (!route) return;  // its connection has gone, and the command with it
  workers_[route->worker]->post(
      [c = route->connection](Worker& w) { w.commands().drop_abandoned(c); });
}

std::size_t Server::kick(std::string_view device_id, protocol::Reason reason, std::string message,
                         std::uint32_t reconnect_after_ms) {
  std::vector<Route> routes;
  if (device_id.starts_with(kServicePrefix))
    routes = services_.find(device_id);
  else if (auto route = registry_.find(device_id))
    routes.push_back(*route);
  for (const Route& route : routes)
    workers_[route.worker]->post(
        [c = route.connection, reason, message, reconnect_after_ms](Worker& w) {
          if (Connection* connection = w.find(c))
            connection->kick(reason, reconnect_after_ms, message);
        });
  return routes.size();
}

void Server::apply_reload(const ReloadEffects& effects) {
  for (const auto& id : effects.revoked) kick(id, protocol::Reason::Revoked, "credentials revoked");
  for (const auto& id : effects.services_rekeyed)
    kick(id, protocol::Reason::Revoked, "this service's key was removed or replaced");
  if (!effects.token_key_changed) return;
  const std::uint64_t generation = auth_->token_key_generation();
  for (auto& worker : workers_)
    worker->post([generation](Worker& w) { w.check_token_keys(generation); });
}

}  // namespace kite::server
