#include "core/connection.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "common/log.h"
#include "core/worker.h"

namespace kite::server {
namespace {

using protocol::Reason;
using protocol::reason_name;

constexpr std::size_t kStoreReadBatch = 32;
constexpr std::size_t kStoreReadBytes = 256 * 1024;
constexpr Millis kCloseGrace = 5'000;  // a peer that will not take our last bytes is cut off

struct PendingWrite {
  uv_write_t request{};
  std::vector<std::uint8_t> bytes;
};

PeerIp peer_ip(const uv_tcp_t& tcp) {
  sockaddr_storage address{};
  int length = sizeof address;
  if (uv_tcp_getpeername(&tcp, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  return PeerIp::from(reinterpret_cast<const sockaddr*>(&address));
}

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Connection::Connection(Worker& worker, std::uint64_t id)
    : worker_(worker),
      id_(id),
      session_(protocol::Role::Server, worker.session_context(), *this, uv_now(worker.loop())) {
  tcp_.data = this;
}

std::int64_t Connection::now() const {
  return static_cast<std::int64_t>(uv_now(const_cast<Worker&>(worker_).loop()));
}

// ---------------------------------------------------------------------------------------------
// Socket

bool Connection::start(uv_stream_t* listener, std::shared_ptr<const kite::tls::TlsContext> tls) {
  auto& context = worker_.context();
  if (tls) tls_.emplace(std::move(tls));
  uv_tcp_init(worker_.loop(), &tcp_);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    close_socket();
    return false;
  }
  uv_tcp_nodelay(&tcp_, 1);
  ip_ = peer_ip(tcp_);
  auto& metrics = worker_.metrics();
  metrics.connections_accepted.add();
  // The port's address lists and per-IP cap (common/peer_gate.h), before any byte is read.
  const PeerGate::Admission gate = context.device_gate->enter(ip_.address());
  counted_by_gate_ = gate.counted;
  if (gate.refusal == Refusal::per_ip_cap) {
    session_.reject(Reason::TooManyAttempts, "too many connections from this address");
    // on_close() flushes the refusal and closes; on the TLS listener nothing can be encrypted
    // before a handshake, so there the socket just closes.
    return false;
  }
  if (gate.refusal != Refusal::none) {
    close_socket();  // an address the lists refuse is told nothing
    return false;
  }
  if (!context.auth->admit(ip_.text(), wall_clock_ms())) {
    metrics.connections_refused.add();
    KITE_LOG(warn, "connection.refused", {{"ip", ip_.text()}, {"reason", "TooManyAttempts"}});
    session_.reject(Reason::TooManyAttempts,
                    "too many unauthenticated connections or failed attempts from this address");
    return false;  // as above: the refusal is flushed, or on the TLS listener dropped
  }
  counted_unauthenticated_ = true;
  metrics.handshaking.add();
  if (worker_.recorder().active()) start_recording(/*from_start=*/true);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  after_session_call();
  return true;
}

void Connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  // The decoder's alignment hint is about the plaintext, which TLS puts elsewhere.
  *buf = self->worker_.read_buffer(self->tls_ ? 0 : self->session_.decoder().read_offset_hint());
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread > 0) {
    self->worker_.metrics().bytes_in.add(static_cast<std::uint64_t>(nread));
    const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(buf->base),
                                              static_cast<std::size_t>(nread)};
    if (self->tls_) {
      self->receive_tls(bytes);
    } else {
      if (self->recorder_) self->record_uplink(bytes);
      self->session_.receive(bytes, self->now());
    }
    if (self->service_) self->worker_.service_ingest().commit(self->session_, self->now());
  } else if (nread < 0) {
    self->session_.receive_end(self->now());  // EOF or reset: the session decides how it ended
    self->close_socket();
  }
  if (!self->closing_) self->after_session_call();
}

void Connection::flush() {
  dirty = false;
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
  const std::span<const std::uint8_t> output = pending_output();
  if (output.empty()) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  worker_.metrics().bytes_out.add(output.size());
  std::size_t written = 0;
  if (write_queue_bytes_ == 0) {
    // Usually the kernel takes it all at once: no request, no callback, no allocation.
    uv_buf_t direct = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(output.data())),
                                  static_cast<unsigned>(output.size()));
    int status = uv_try_write(stream, &direct, 1);
    if (status < 0 && status != UV_EAGAIN) return fail_socket();
    written = status > 0 ? static_cast<std::size_t>(status) : 0;
    if (written == output.size()) {
      discard_pending_output();
      if (backlog_) pump();  // room below the high-water mark, as after a completed write
      return;
    }
  }
  auto* write = new PendingWrite;
  take_pending_output(write->bytes);
  write->bytes.erase(write->bytes.begin(),
                     write->bytes.begin() + static_cast<std::ptrdiff_t>(written));
  write->request.data = this;
  write_queue_bytes_ += write->bytes.size();
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->bytes.data()),
                             static_cast<unsigned>(write->bytes.size()));
  int status = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write);
  if (status != 0) {
    write_queue_bytes_ -= write->bytes.size();
    delete write;
    return fail_socket();
  }
  // Deliveries stop at the high-water mark by themselves, but answers to what the peer sends
  // (pongs, acks, TLS KeyUpdate replies) do not: a peer that sends and never reads would grow
  // the queue without end. Past four times the mark, its input waits until the queue drains.
  const std::size_t high_water = worker_.context().options.write_high_water_bytes;
  if (!reading_blocked_ && !closing_ && write_queue_bytes_ > 4 * high_water) {
    reading_blocked_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    worker_.metrics().reading_blocked.add();
  }
}

// The socket failed (reset, broken pipe): the session ends as if the peer had gone, so on_close
// releases the device's route, the gauges and its pending commands; nothing more is written.
void Connection::fail_socket() {
  session_.discard_output();
  if (!closing_) session_.receive_end(now());
  session_.discard_output();
  close_socket();
}

void Connection::on_write(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<PendingWrite*>(request);
  auto* self = static_cast<Connection*>(request->data);
  self->write_queue_bytes_ -= write->bytes.size();
  delete write;
  if (status < 0) {
    if (!self->closing_) {
      self->session_.receive_end(self->now());
      self->close_socket();
    }
    return;
  }
  if (self->closing_) return;
  if (self->reading_blocked_ &&
      self->write_queue_bytes_ <= self->worker_.context().options.write_high_water_bytes) {
    self->reading_blocked_ = false;
    if (!self->reading_paused_)
      uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
  }
  if (self->backlog_) self->pump();  // room again below the high-water mark
}

void Connection::close_socket() {
  if (closing_) return;
  closing_ = true;
  auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
  if (uv_is_closing(handle)) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  flush();
  // Let queued bytes (an Error or Goaway frame) reach the peer, but not forever.
  auto* shutdown = new uv_shutdown_t;
  int status =
      uv_shutdown(shutdown, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* request, int) {
        auto* h = reinterpret_cast<uv_handle_t*>(request->handle);
        delete request;
        if (!uv_is_closing(h)) uv_close(h, on_closed);
      });
  if (status != 0) {
    delete shutdown;
    uv_close(handle, on_closed);
    return;
  }
  worker_.wheel().schedule(static_cast<WheelEntry&>(*this), now() + kCloseGrace);
}

void Connection::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->worker_.wheel().cancel(static_cast<WheelEntry&>(*self));
  if (self->counted_unauthenticated_) {
    self->worker_.context().auth->authenticated_or_closed(self->ip_.text());
    self->worker_.metrics().handshaking.sub();
  }
  if (self->counted_by_gate_) self->worker_.context().device_gate->leave(self->ip_.address());
  if (self->recorder_) self->recorder_->closed();
  self->worker_.forget(self->id_);
  delete self;
}

void Connection::on_deadline() {
  if (closing_) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&tcp_);
    if (!uv_is_closing(handle)) uv_close(handle, on_closed);
    return;
  }
  if (reading_paused_ && now() >= resume_reading_at_) resume_reading();
  session_.tick(now());
  if (!closing_) after_session_call();
}

void Connection::after_session_call() {
  if (session_.has_output() || (tls_ && tls_->has_output())) worker_.mark_dirty(*this);
  if (closing_) return;
  if (uplink_tokens_ < 0 && !reading_paused_) pause_reading();
  Millis due = session_.next_deadline();
  if (reading_paused_) due = std::min(due, resume_reading_at_);
  if (due == std::numeric_limits<Millis>::max())
    worker_.wheel().cancel(static_cast<WheelEntry&>(*this));
  else if (!scheduled() || deadline != due)
    worker_.wheel().schedule(static_cast<WheelEntry&>(*this), due);
}

// ---------------------------------------------------------------------------------------------
// Handshake

void Connection::on_hello(const protocol::HelloInfo& hello) {
  auto& context = worker_.context();
  std::string_view id = hello.device_id;
  if (recorder_) record_identified(id);  // refused hellos of a chosen device are recorded too
  if (context.auth->revoked(id)) return refuse(Reason::Revoked, "this device has been revoked");
  service_ = id.starts_with(kServicePrefix);
  if (auto refusal = certificate_refusal(id, hello.method); !refusal.empty())
    return refuse(Reason::AuthFailed, refusal);
  std::uint64_t epoch = context.store->epoch();
  auto expected = context.auth->resume_token(id, epoch);
  hello_resume_valid_ = !service_ && hello.store_epoch == epoch &&
                        std::equal(hello.resume_token.begin(), hello.resume_token.end(),
                                   expected.begin(), expected.end());
  hello_last_received_ = hello.last_received_seq;

  switch (hello.method) {
    case protocol::AuthMethod::Hmac: {
      // An unknown id gets a challenge too (with a key nobody holds): failures look alike, so
      // the handshake does not reveal which device ids exist.
      protocol::DeviceKey key{};
      if (auto known = context.auth->key_for(id))
        key = *known;
      else
        protocol::random_bytes(key);
      protocol::Nonce nonce{};
      protocol::random_bytes(nonce);
      session_.challenge(key, nonce);
      return;
    }
    case protocol::AuthMethod::Token: {
      if (service_) return refuse(Reason::AuthFailed, "services authenticate with their key");
      auto now_s = static_cast<std::uint64_t>(wall_clock_ms() / 1000);
      std::vector<std::string> groups;
      Reason reason = context.auth->check_token(hello.token, id, now_s, groups);
      if (reason != Reason::None) return refuse(reason, "token refused");
      return welcome(std::move(groups));
    }
    case protocol::AuthMethod::Tls:
      // certificate_refusal() found the certificate to name this very device.
      return welcome({});
    default:
      return refuse(Reason::AuthFailed, "unknown auth method");
  }
}

void Connection::on_authenticated(std::string_view device) {
  // Checked again: a reload may have revoked the device between its hello and its proof (the
  // reload's kick only reaches devices already online).
  if (worker_.context().auth->revoked(device))
    return refuse(Reason::Revoked, "this device has been revoked");
  welcome({});
}

void Connection::refuse(Reason reason, std::string_view message) {
  auto& context = worker_.context();
  context.auth->record_failure(ip_.text(), wall_clock_ms());
  KITE_LOG(warn, "auth.refused",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"reason", reason_name(reason)},
            {"detail", message}});
  session_.reject(reason, message);
}

void Connection::welcome(std::vector<std::string> groups) {
  auto& context = worker_.context();
  auto& store = *context.store;
  const std::string& device = session_.device_id();
  context.auth->record_success(ip_.text());

  protocol::WelcomeParams params;
  params.store_epoch = store.epoch();
  if (!service_) {
    // A token's groups are joined; the welcome lists every group the device is in.
    for (const auto& group : groups) context.groups->join(group, device);
    params.groups = context.groups->groups_of(device);
  }
  if (!service_) {
    Route route{worker_.index(), id_, wall_clock_ms(), ip_, tls_.has_value()};
    if (auto previous = context.registry->claim(device, route)) {
      auto old_connection = previous->connection;
      context.workers[previous->worker]->post([old_connection](Worker& w) {
        if (Connection* old = w.find(old_connection))
          old->kick(Reason::Replaced, 0, "a newer connection for this device took over");
      });
    }
    registered_ = true;
    QueueInfo queue = store.info(device);
    params.resumed = hello_resume_valid_;
    params.resume_token = context.auth->resume_token(device, params.store_epoch);
    params.next_seq = queue.next_seq;
    params.last_received_seq = store.uplink_last_received(device);
    last_stored_sent_ = queue.acked_through;
    if (params.resumed && hello_last_received_ > queue.acked_through) {
      // The device already holds these: they count as acknowledged.
      last_stored_sent_ = std::min(hello_last_received_, queue.next_seq - 1);
      store.ack(device, last_stored_sent_);
    }
  }
  session_.accept(params, now());
}

void Connection::on_open(const protocol::OpenInfo& info) {
  auto& context = worker_.context();
  auto& metrics = worker_.metrics();
  metrics.handshakes_ok.add();
  if (info.resumed) metrics.resumed.add();
  (service_ ? metrics.services_open : metrics.devices_open).add();
  counted_open_ = true;
  if (counted_unauthenticated_) {
    context.auth->authenticated_or_closed(ip_.text());
    counted_unauthenticated_ = false;
    metrics.handshaking.sub();
  }
  if (!service_ && worker_.records(events::EventType::Connect))
    worker_.events().connect(session_.device_id(), wall_clock_ms(), ip_.text(), info.resumed);
  KITE_LOG(info, service_ ? "service.online" : "device.online",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"resumed", info.resumed},
            {"worker", worker_.index()}});
  uplink_tokens_ = context.options.uplink_burst;
  uplink_refilled_at_ = now();
  backlog_ = true;
  pump();
}

// ---------------------------------------------------------------------------------------------
// Messages

void Connection::wake() {
  if (closing_) return;
  backlog_ = true;
  pump();
}

void Connection::pump() {
  if (service_ || closing_ || !session_.is_open() || !backlog_) return;
  auto& context = worker_.context();
  const std::string& device = session_.device_id();
  static thread_local std::vector<StoredMessage> batch;
  std::size_t high_water = context.options.write_high_water_bytes;
  while (session_.send_credit() > 0 && write_queue_bytes_ + session_.output().size() < high_water) {
    std::size_t want = std::min<std::size_t>(session_.send_credit(), kStoreReadBatch);
    auto wall = static_cast<std::uint64_t>(wall_clock_ms());
    context.store->read(device, last_stored_sent_, want, kStoreReadBytes, wall, batch);
    if (batch.empty()) {
      backlog_ = false;
      break;
    }
    for (const auto& stored : batch) {
      if (session_.send_credit() == 0) break;
      // accepted_at 0: a message read back from the store may have waited for a device that
      // was offline; the latency histogram is about devices that are online.
      send_stored({id_, stored.seq, stored.expires_at_ms, 0, stored.message_id, stored.topic,
                   stored.content_type, stored.conflation_key, stored.payload},
                  wall);
    }
  }
  after_session_call();
}

void Connection::deliver(const Delivery& delivery) {
  if (delivery.seq == 0) return wake();
  if (closing_ || service_ || !session_.is_open() || delivery.seq <= last_stored_sent_) return;
  const auto wall = static_cast<std::uint64_t>(wall_clock_ms());
  const bool in_order = !backlog_ && delivery.seq == last_stored_sent_ + 1 &&
                        (delivery.expires_at_ms == 0 || delivery.expires_at_ms > wall);
  const bool room =
      session_.send_credit() > 0 && write_queue_bytes_ + session_.output().size() <
                                        worker_.context().options.write_high_water_bytes;
  if (!in_order || !room) {  // the store has it: read it when this connection can take it
    backlog_ = true;
    return pump();
  }
  send_stored(delivery, wall);
  after_session_call();
}

// Hands one stored message (with credit available) to the session.
void Connection::send_stored(const Delivery& stored, std::uint64_t wall) {
  protocol::OutgoingMessage out;
  out.payload = as_bytes(stored.payload);
  out.qos = protocol::Qos::AtLeastOnce;
  out.topic = stored.topic;
  out.content_type = stored.content_type;
  out.conflation_key = stored.conflation_key;
  out.message_id = stored.message_id;
  if (stored.expires_at_ms != 0)
    out.ttl_ms = static_cast<std::uint32_t>(
        std::max<std::uint64_t>(stored.expires_at_ms - std::min(stored.expires_at_ms, wall), 1));
  auto status = session_.publish_stored(stored.seq, out, now());
  if (status == protocol::SendStatus::Sent && stored.accepted_at_us != 0)
    worker_.metrics().delivery_latency.observe(static_cast<std::uint64_t>(
        std::max<std::int64_t>(wall_clock_us() - stored.accepted_at_us, 0)));
  if (status == protocol::SendStatus::Sent && worker_.records(events::EventType::Receipt))
    receipts_.sent(stored.seq, stored.message_id);
  if (status != protocol::SendStatus::Sent)
    KITE_LOG(
        error, "delivery.undeliverable",
        {{"device", session_.device_id()}, {"seq", stored.seq}, {"size", stored.payload.size()}});
  else
    worker_.metrics().messages_out.add();
  last_stored_sent_ = stored.seq;
}

void Connection::send_transient(const std::string& payload, const std::string& topic,
                                const std::string& content_type) {
  protocol::OutgoingMessage out;
  out.payload = as_bytes(payload);
  out.qos = protocol::Qos::AtMostOnce;
  out.topic = topic;
  out.content_type = content_type;
  const bool sent =
      has_room_for_transient() && session_.publish(out, now()) == protocol::SendStatus::Sent;
  after_transient(sent);
}

void Connection::send_shared(const protocol::SharedPublish& publish) {
  const bool sent = has_room_for_transient() &&
                    session_.send_shared(publish, now()) == protocol::SendStatus::Sent;
  after_transient(sent);
}

// QoS 0 goes out only if the device has credit and its socket is below the high-water mark.
bool Connection::has_room_for_transient() const {
  return !closing_ && session_.is_open() && session_.send_credit() > 0 &&
         write_queue_bytes_ + session_.output().size() <
             worker_.context().options.write_high_water_bytes;
}

void Connection::after_transient(bool sent) {
  if (!sent) return worker_.metrics().dropped_qos0.add();  // at most once: no room now, not at all
  worker_.metrics().messages_out.add();
  after_session_call();
}

void Connection::on_message(const protocol::IncomingMessage& message) {
  auto& context = worker_.context();
  worker_.metrics().messages_in.add();
  if (service_) return accept_from_service(message);
  charge_uplink();
  if (worker_.records(events::EventType::Uplink)) {
    const bool stored = message.qos == protocol::Qos::AtLeastOnce;
    worker_.events().uplink(session_.device_id(), wall_clock_ms(),
                            {stored ? message.seq : 0, static_cast<std::uint8_t>(stored ? 1 : 0),
                             message.topic, message.content_type, message.payload});
  }
  if (message.qos == protocol::Qos::AtLeastOnce)
    context.store->set_uplink_last_received(session_.device_id(), message.seq);
  session_.acknowledge(message.seq, now());
}

// Uplink rate limit: a token bucket per device. A read may hold many messages; they are all
// processed (the bytes are already here), the bucket goes into debt, and the socket is not read
// again until the debt is paid: over the limit, TCP back-pressure slows the device, not kited.
void Connection::charge_uplink() {
  const auto& options = worker_.context().options;
  if (options.uplink_rate_per_s == 0) return;
  Millis t = now();
  double refill = static_cast<double>(t - uplink_refilled_at_) * options.uplink_rate_per_s / 1000.0;
  uplink_tokens_ = std::min<double>(uplink_tokens_ + refill, options.uplink_burst);
  uplink_refilled_at_ = t;
  uplink_tokens_ -= 1;
}

void Connection::pause_reading() {
  const auto& options = worker_.context().options;
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  double wait_ms = (1 - uplink_tokens_) * 1000.0 / std::max(1u, options.uplink_rate_per_s);
  resume_reading_at_ = now() + static_cast<Millis>(wait_ms) + 1;
  worker_.metrics().uplink_throttled.add();
}

void Connection::resume_reading() {
  reading_paused_ = false;
  charge_uplink();
  uplink_tokens_ += 1;  // the refill only: no message was charged
  if (!reading_blocked_) uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
}

// Gathered for the end of the read (service_ingest.h): stored in one write, then acknowledged.
void Connection::accept_from_service(const protocol::IncomingMessage& message) {
  auto& context = worker_.context();
  auto& ingest = worker_.service_ingest();
  if (message.target.empty()) {
    session_.send_error(Reason::NotFound, message.seq, "publish without a target device", now());
    return ingest.add_answered(message.seq);
  }
  if (message.qos == protocol::Qos::AtMostOnce) {
    if (auto route = context.registry->find(message.target)) {
      std::string payload(as_text(message.payload)), topic(message.topic),
          type(message.content_type);
      context.workers[route->worker]->post([c = route->connection, payload = std::move(payload),
                                            topic = std::move(topic),
                                            type = std::move(type)](Worker& w) {
        if (Connection* to = w.find(c)) to->send_transient(payload, topic, type);
      });
    } else {
      worker_.metrics().dropped_qos0.add();
    }
    return ingest.add_answered(message.seq);
  }
  ingest.add_stored(message, context.options.default_ttl_ms);
}

void Connection::on_acked(std::uint64_t seq) {
  if (service_) return;
  worker_.metrics().acks_in.add();
  if (receipts_.size() != 0) {
    const auto wall = wall_clock_ms();
    receipts_.acked(seq, [&](std::uint64_t acked_seq, std::string_view message_id) {
      worker_.events().receipt(session_.device_id(), wall, acked_seq, message_id);
    });
  }
  queued_ack_ = seq;
  worker_.queue_ack(*this);
}

void Connection::send_command(std::string_view name, std::string_view payload,
                              std::uint32_t timeout_ms, CommandDone done) {
  auto& commands = worker_.commands();
  const std::uint64_t id = commands.next_id();
  auto status = closing_ ? protocol::SendStatus::NotOpen
                         : session_.send_command({id, name, as_bytes(payload), timeout_ms}, now());
  if (status != protocol::SendStatus::Sent) {
    const bool offline = status == protocol::SendStatus::NotOpen;
    return done({offline ? CommandOutcome::Kind::Offline : CommandOutcome::Kind::Refused,
                 0,
                 {},
                 offline ? "the device is not connected"
                         : "the command does not fit the device's frame limit"});
  }
  auto& metrics = worker_.metrics();
  metrics.commands_sent.add();
  commands.add(id, id_, now() + timeout_ms, [&metrics, done = std::move(done)](CommandOutcome o) {
    using Kind = CommandOutcome::Kind;
    (o.kind == Kind::Replied    ? metrics.commands_replied
     : o.kind == Kind::TimedOut ? metrics.commands_timed_out
                                : metrics.commands_failed)
        .add();
    done(std::move(o));
  });
  after_session_call();
}

void Connection::on_reply(const protocol::ReplyInfo& reply) {
  if (!worker_.commands().reply(reply.id, id_, reply.status, std::string(as_text(reply.payload)))) {
    KITE_LOG(debug, "command.late_reply", {{"device", session_.device_id()}, {"id", reply.id}});
  }
}

// A device joins or leaves groups itself (Subscribe / Unsubscribe): confirmed by an echo, or
// refused with an error naming the request; groups before a refused one stay joined.
void Connection::on_subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string_view> groups) {
  const auto refuse_request = [&](Reason reason, std::string_view why) {
    session_.send_error(reason, request_id, why, now());
    after_session_call();
  };
  if (service_) return refuse_request(Reason::UnexpectedMessage, "services do not join groups");
  if (!worker_.context().options.device_groups)
    return refuse_request(Reason::UnexpectedMessage,
                          "devices may not manage their groups on this server "
                          "(session.device_groups = \"deny\")");
  auto& directory = *worker_.context().groups;
  std::vector<std::string> done;
  for (std::string_view group : groups) {
    if (!join) {
      directory.leave(group, session_.device_id());
      done.emplace_back(group);
      continue;
    }
    using Result = GroupDirectory::JoinResult;
    switch (directory.join(group, session_.device_id())) {
      case Result::Joined:
      case Result::AlreadyMember:
        done.emplace_back(group);
        continue;
      case Result::InvalidName:
        return refuse_request(Reason::LimitExceeded,
                              "a group name is 1-128 bytes without control characters or '/'");
      case Result::DeviceLimit:
        return refuse_request(Reason::LimitExceeded, "a device is in at most 256 groups");
      case Result::GroupLimit:
        return refuse_request(Reason::LimitExceeded, "the group is full");
    }
  }
  session_.confirm_subscribe(request_id, join, done, now());
  after_session_call();
}

void Connection::on_writable() {
  pump();
}

// ---------------------------------------------------------------------------------------------
// The end

void Connection::kick(Reason reason, std::uint32_t reconnect_after_ms, std::string_view message) {
  if (closing_) return;
  worker_.metrics().kicked.add();
  session_.goaway(reason, reconnect_after_ms, message);
}

void Connection::on_close(const protocol::CloseInfo& info) {
  auto& context = worker_.context();
  if (recorder_) record_close_reason(info);
  if (ack_queued) context.store->ack(session_.device_id(), take_queued_ack());  // not left behind
  auto& metrics = worker_.metrics();
  // The reason may come from the peer (its Error frame): clamp it to the table.
  const auto reason_index =
      std::min(static_cast<std::size_t>(info.reason), static_cast<std::size_t>(Reason::Internal));
  (counted_open_ ? metrics.closed : metrics.handshake_failed)[reason_index].add();
  if (counted_open_ && !service_ && worker_.records(events::EventType::Disconnect))
    worker_.events().disconnect(session_.device_id(), wall_clock_ms(), reason_name(info.reason),
                                info.by_peer);
  if (counted_open_) {
    (service_ ? metrics.services_open : metrics.devices_open).sub();
    counted_open_ = false;
  }
  worker_.commands().connection_closed(id_);
  if (registered_) {
    context.registry->release(session_.device_id(), Route{worker_.index(), id_, 0, {}});
    registered_ = false;
  }
  KITE_LOG(info, "session.closed",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"reason", reason_name(info.reason)},
            {"by_peer", info.by_peer}});
  close_socket();
}

}  // namespace kite::server
