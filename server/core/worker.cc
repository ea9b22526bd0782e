#include "core/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "common/log.h"
#include "core/connection.h"
#include "core/socket_address.h"
#include "kite/protocol/handshake_crypto.h"

namespace kite::server {
namespace {

constexpr Millis kWheelTick = 10;  // ack delays are 20 ms: finer than that is waste
// One turn = 82 s: longer than the default keep-alive timeout (30 s x 150 %), so most entries are
// looked at only when due.
constexpr std::size_t kWheelSlots = 8192;
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::size_t kMaxSlots = std::size_t{1} << 24;  // connections per worker

}  // namespace

Worker::Worker(std::uint32_t index, ServerContext& context)
    : index_(index),
      context_(context),
      session_context_(context.options.session),
      wheel_(kWheelTick, kWheelSlots, 0),
      recorder_(index, std::make_shared<const record::RecordSettings>(context.options.record)),
      read_buffer_words_(kReadBufferBytes / 8 + 1) {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &async_, on_async);
  async_.data = this;
  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, on_prepare);
  uv_timer_init(&loop_, &wheel_timer_);
  wheel_timer_.data = this;
}

Worker::~Worker() {
  if (thread_.joinable()) stop(protocol::Reason::ServerShutdown);
  uv_loop_close(&loop_);
}

std::string Worker::listen() {
  for (const auto& text : context_.options.device_listen)
    if (auto error = bind_listener(text, on_new_connection); !error.empty()) return error;
  const auto& options = context_.options;
  const std::pair<const std::string*, uv_connection_cb> listeners[] = {
      {&options.tls_listen, on_new_tls_connection},
      {&options.ws_listen, on_new_ws_connection},
      {&options.wss_listen, on_new_wss_connection}};
  for (const auto& [address, on_connection] : listeners) {
    if (address->empty()) continue;
    if (auto error = bind_listener(*address, on_connection); !error.empty()) return error;
  }
  return {};
}

std::string Worker::bind_listener(const std::string& text, uv_connection_cb on_connection) {
  SocketAddress address;
  std::string error = resolve_endpoint(text, address);
  if (!error.empty()) return error;
  // SO_REUSEPORT: every worker binds the same address, the kernel spreads connections.
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "cannot create a socket: " + std::string(std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // Small frames go out at once (no Nagle delay). Linux gives an accepted socket the
  // listener's TCP_NODELAY, which spares each connection a setsockopt (Connection::start).
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd, address.get(), address.length) != 0) {
    int err = errno;
    ::close(fd);
    return "cannot listen on " + text + ": " + std::strerror(err) +
           " (is another server using the port?)";
  }
  auto tcp = std::make_unique<uv_tcp_t>();
  uv_tcp_init(&loop_, tcp.get());
  tcp->data = this;
  uv_tcp_open(tcp.get(), fd);
  int status = uv_listen(reinterpret_cast<uv_stream_t*>(tcp.get()), 4096, on_connection);
  if (status != 0) return "cannot listen on " + text + ": " + uv_strerror(status);
  listeners_.push_back(std::move(tcp));
  return {};
}

namespace {
thread_local Worker* this_threads_worker = nullptr;
}  // namespace

Worker* Worker::on_this_thread() {
  return this_threads_worker;
}

void Worker::start() {
  uv_timer_start(&wheel_timer_, on_wheel_timer, kWheelTick, kWheelTick);
  thread_ = std::thread([this] {
    this_threads_worker = this;
    uv_run(&loop_, UV_RUN_DEFAULT);
    recorder_.close();  // after the last connection's closed event
  });
}

void Worker::stop(protocol::Reason reason) {
  post([reason](Worker& w) { w.shut_down(reason); });
  if (thread_.joinable()) thread_.join();
}

void Worker::post(Task task) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(task));
  }
  uv_async_send(&async_);
}

void Worker::on_async(uv_async_t* handle) {
  static_cast<Worker*>(handle->data)->run_tasks();
}

void Worker::run_tasks() {
  {
    std::lock_guard lock(inbox_mutex_);
    running_.swap(inbox_);
  }
  for (auto& task : running_) task(*this);
  running_.clear();
}

void Worker::on_prepare(uv_prepare_t* handle) {
  static_cast<Worker*>(handle->data)->flush_dirty();
}

void Worker::flush_dirty() {
  commit_turn();
  release_held();
  // Connections flushed here got every message of this loop turn: one write each. A write the
  // kernel takes at once lets the connection pump more of its backlog, which marks it dirty
  // again: flush until nothing is (bounded by credit, backlog and the socket's buffer).
  while (!dirty_.empty()) {
    flushing_.swap(dirty_);
    for (std::uint64_t id : flushing_)
      if (Connection* c = find(id)) c->flush();
    flushing_.clear();
  }
}

void Worker::mark_dirty(Connection& connection) {
  if (connection.dirty) return;
  connection.dirty = true;
  dirty_.push_back(connection.id());
}

void Worker::queue_ack(Connection& connection) {
  if (connection.ack_queued) return;
  connection.ack_queued = true;
  acking_.push_back(connection.id());
}

void Worker::queue_uplink(Connection& connection) {
  if (connection.uplink_queued) return;
  connection.uplink_queued = true;
  uplinking_.push_back(connection.id());
}

// One store write for the turn: the acks, the QoS 1 uplink marks and the events. Uplinks are
// acknowledged to their devices, and events shown to readers, only after it. A turn without
// uplinks may be written behind (store.write_behind_ms): its events then wait for the write.
void Worker::commit_turn() {
  events::EventLog* log = context_.events;
  if (log && !pending_events_.empty()) log->reserve(pending_events_, reserved_events_);
  if (acking_.empty() && uplinking_.empty() && reserved_events_.empty()) return;
  ack_batch_.clear();
  uplink_batch_.clear();
  for (std::uint64_t id : acking_) {
    Connection* c = find(id);
    if (c && c->ack_queued) ack_batch_.emplace_back(c->device_id(), c->take_queued_ack());
  }
  for (std::uint64_t id : uplinking_) {
    Connection* c = find(id);
    if (c && c->uplink_queued) uplink_batch_.emplace_back(c->device_id(), c->queued_uplink());
  }
  acking_.clear();
  const std::span<const EventRecord> durable_events =
      log && log->durable() ? std::span<const EventRecord>(reserved_events_.records)
                            : std::span<const EventRecord>();
  auto& store = *context_.store;
  const bool anything = !ack_batch_.empty() || !uplink_batch_.empty() || !durable_events.empty();
  const bool written =
      !anything ||
      (may_write_behind() ? store.write_turn_deferred(ack_batch_, durable_events)
                          : store.write_turn(ack_batch_, uplink_batch_, durable_events));
  if (!reserved_events_.empty()) {
    publish_events(durable_events.empty() ? 0 : store.write_ticket());
    pending_events_.clear();
  }
  for (std::uint64_t id : uplinking_) {
    Connection* c = find(id);
    if (c && c->uplink_queued) c->after_uplink_write(written);
  }
  uplinking_.clear();
}

// Write-behind suits the turns that follow message traffic and presence: acks, the receipts one
// per message, and the connects and disconnects of a reconnecting fleet (one write per interval
// instead of one per turn: a connection storm's store cost). Readers see those events once
// written, up to the interval later. Uplinks are acknowledged to their devices at once, and the
// other events (QoS 0 uplinks, a message's end) are awaited by readers: those turns are written at
// once.
bool Worker::may_write_behind() const {
  if (!uplink_batch_.empty()) return false;
  const auto headers = pending_events_.headers();
  return std::all_of(headers.begin(), headers.end(), [](const events::EventBatch::Header& h) {
    return h.type == events::EventType::Receipt || h.type == events::EventType::Connect ||
           h.type == events::EventType::Disconnect;
  });
}

// Shows this turn's events once the store has written them; in order behind any still held.
void Worker::publish_events(std::uint64_t ticket) {
  auto& log = *context_.events;
  if (held_events_.empty() && context_.store->written(ticket)) {
    log.publish(reserved_events_, wall_clock_ms());
  } else {
    events::EventLog::Reserved held;
    held.last_id = reserved_events_.last_id;  // publish() needs no more than the id
    held_events_.push_back({ticket, std::move(held)});
  }
  reserved_events_.records.clear();
}

void Worker::watch_held(Connection& connection) {
  holding_.push_back(connection.id());
}

void Worker::release_held() {
  while (!held_events_.empty() && context_.store->written(held_events_.front().ticket)) {
    context_.events->publish(held_events_.front().reserved, wall_clock_ms());
    held_events_.pop_front();
  }
  std::erase_if(holding_, [this](std::uint64_t id) {
    Connection* c = find(id);
    return !c || !c->release_held();
  });
}

void Worker::deliver(const DeliveryBatch& batch) {
  batch.for_each([this](const Delivery& delivery) {
    if (Connection* c = find(delivery.connection)) c->deliver(delivery);
  });
}

void Worker::on_wheel_timer(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  self->commands_.expire(static_cast<Millis>(uv_now(&self->loop_)));
  const auto& encoded = self->session_context_.encoder().stats();
  auto& metrics = self->metrics_;
  metrics.frames_encoded.set(static_cast<std::int64_t>(encoded.frames));
  metrics.frames_compressed.set(static_cast<std::int64_t>(encoded.compressed_frames));
  metrics.body_bytes_encoded.set(static_cast<std::int64_t>(encoded.body_bytes));
  metrics.body_bytes_written.set(static_cast<std::int64_t>(encoded.wire_body_bytes));
  self->recorder_.tick(static_cast<std::int64_t>(uv_now(&self->loop_)));
  self->wheel_.advance(static_cast<Millis>(uv_now(&self->loop_)), [](WheelEntry& entry) {
    static_cast<Connection&>(entry).on_deadline();  // only connections are in the wheel
  });
}

void Worker::on_new_connection(uv_stream_t* listener, int status) {
  static_cast<Worker*>(listener->data)->accept(listener, status, nullptr);
}

// The TLS listener's connections take the newest context (DeviceTls: swapped on SIGHUP).
void Worker::on_new_tls_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Worker*>(listener->data);
  self->accept(listener, status, self->context_.tls->context());
}

void Worker::on_new_ws_connection(uv_stream_t* listener, int status) {
  static_cast<Worker*>(listener->data)->accept(listener, status, nullptr, /*websocket=*/true);
}

void Worker::on_new_wss_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Worker*>(listener->data);
  self->accept(listener, status, self->context_.tls->context(), /*websocket=*/true);
}

void Worker::accept(uv_stream_t* listener, int status,
                    std::shared_ptr<const kite::tls::TlsContext> tls, bool websocket) {
  if (status != 0) {
    KITE_LOG(warn, "listener.error", {{"error", uv_strerror(status)}});
    return;
  }
  Connection* connection = new_connection();
  if (!connection) {
    // Accepted and closed at once: libuv stops accepting until a pending connection is taken.
    KITE_LOG(error, "connection.refused", {{"worker", index_}, {"reason", "worker full"}});
    auto* refused = new uv_tcp_t;
    uv_tcp_init(&loop_, refused);
    uv_accept(listener, reinterpret_cast<uv_stream_t*>(refused));
    uv_close(reinterpret_cast<uv_handle_t*>(refused),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
    return;
  }
  connection->start(listener, std::move(tls),
                    websocket);  // on refusal it closes and forgets itself
}

Connection* Worker::new_connection() {
  std::uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else if (slots_.size() < kMaxSlots) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(nullptr);
  } else {
    return nullptr;
  }
  const std::uint64_t id =
      (std::uint64_t{index_} + 1) << 56 | std::uint64_t{connection_counter_++} << 24 | slot;
  auto* connection = new Connection(*this, id);
  slots_[slot] = connection;
  ++live_connections_;
  return connection;
}

std::optional<websocket::TunnelName> Worker::open_poll_tunnel(const PeerIp& ip) {
  int ends[2];
  if (shutting_down_ || poll_tunnels_.size() >= websocket::kMaxPollTunnels ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    return std::nullopt;
  Connection* connection = new_connection();
  if (!connection) {
    ::close(ends[0]);
    ::close(ends[1]);
    return std::nullopt;
  }
  websocket::TunnelName name{.connection = connection->id(), .secret = 0};
  protocol::random_bytes({reinterpret_cast<std::uint8_t*>(&name.secret), sizeof name.secret});
  const std::uint64_t id = name.connection;
  auto tunnel =
      std::make_unique<PollTunnel>(&loop_, name, ends[1], [this, id] { poll_tunnels_.erase(id); });
  PollTunnel& kept = *(poll_tunnels_[id] = std::move(tunnel));
  // The session's end is started whatever happened to the tunnel's (which then closed its fd,
  // so the session reads an end and closes): refused (caps, address lists), it closes itself.
  const bool session_started = connection->start_tunnel(ends[0], ip);
  if (!kept.started() || !session_started) {
    kept.close();
    return std::nullopt;
  }
  return name;
}

PollTunnel* Worker::poll_tunnel(std::uint64_t connection_id) {
  auto found = poll_tunnels_.find(connection_id);
  return found == poll_tunnels_.end() ? nullptr : found->second.get();
}

void Worker::apply_recording(std::shared_ptr<const record::RecordSettings> settings) {
  recorder_.apply(std::move(settings));
  for (Connection* connection : slots_)
    if (connection) connection->update_recording();
}

void Worker::check_certificates(const kite::tls::TlsContext& context) {
  for (Connection* connection : slots_)
    if (connection) connection->check_certificate(context);
}

void Worker::check_token_keys(std::uint64_t generation) {
  for (Connection* connection : slots_)
    if (connection) connection->check_token_key(generation);
}

Connection* Worker::find(std::uint64_t connection_id) {
  const std::size_t slot = connection_id & (kMaxSlots - 1);
  if (slot >= slots_.size() || !slots_[slot] || slots_[slot]->id() != connection_id) return nullptr;
  return slots_[slot];
}

void Worker::forget(std::uint64_t connection_id) {
  if (!find(connection_id)) return;
  const auto slot = static_cast<std::uint32_t>(connection_id & (kMaxSlots - 1));
  slots_[slot] = nullptr;
  free_slots_.push_back(slot);
  --live_connections_;
  if (shutting_down_ && live_connections_ == 0) close_loop_handles();
}

void Worker::close_loop_handles() {
  for (auto& [id, tunnel] : poll_tunnels_) tunnel->close();  // each frees itself once closed
  for (uv_handle_t* h :
       {reinterpret_cast<uv_handle_t*>(&async_), reinterpret_cast<uv_handle_t*>(&prepare_),
        reinterpret_cast<uv_handle_t*>(&wheel_timer_)})
    if (!uv_is_closing(h)) uv_close(h, nullptr);
}

uv_buf_t Worker::read_buffer(std::size_t offset_hint) {
  auto* base = reinterpret_cast<char*>(read_buffer_words_.data()) + offset_hint;
  return uv_buf_init(base, static_cast<unsigned>(kReadBufferBytes));
}

void Worker::shut_down(protocol::Reason reason) {
  for (auto& listener : listeners_)
    uv_close(reinterpret_cast<uv_handle_t*>(listener.get()), nullptr);
  shutting_down_ = true;
  std::vector<Connection*> open;
  for (Connection* connection : slots_)
    if (connection) open.push_back(connection);
  // Spread reconnects: a fleet told "come back now" all at once would land on the next server
  // as one connection storm.
  std::mt19937 random(std::random_device{}() ^ index_);
  std::uniform_int_distribution<std::uint32_t> after(0, context_.options.drain_reconnect_spread_ms);
  // Acks held for write-behind go before the goaway: a service told of everything it sent
  // need not send it again after reconnecting.
  if (!holding_.empty()) {
    context_.store->write_pending();
    release_held();
  }
  for (Connection* c : open) c->kick(reason, after(random), "server shutting down");
  flush_dirty();  // also writes this turn's acks to the store
  // Each connection closes once its goaway is written, or after its close grace (the wheel
  // keeps ticking for that); the last one to go closes the loop's own handles.
  if (live_connections_ == 0) close_loop_handles();
}

}  // namespace kite::server
