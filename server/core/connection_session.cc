// Connection, the session's events past the handshake: handed to the role (peer_role.h), and
// the end of the session, whichever way it comes. Also the calls a role makes back.
//
// Rules it keeps:
//  - the role is set by the welcome, which comes before on_open: every event of an open session
//    finds one; deliveries and sends that reach a connection still in its handshake find none
//    and do nothing (a QoS 0 send is counted as dropped);
//  - on_close() releases by the stage the session ended in (connection_lifecycle.h), then
//    closes the socket.
#include "common/log.h"
#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {
namespace {

using protocol::Reason;
using protocol::reason_name;

// The reasons that mean "these credentials were refused": each counts as a failed attempt for
// the id from that source (admission.h), whichever step refused it.
bool is_failed_attempt(Reason reason) {
  return reason == Reason::AuthFailed || reason == Reason::TokenExpired ||
         reason == Reason::Revoked;
}

}  // namespace

void Connection::on_frame(wire::Message type, std::size_t body_bytes) {
  role_->on_frame(type, body_bytes);
}

void Connection::on_message(const protocol::IncomingMessage& message) {
  worker_.metrics().messages_in.add();
  role_->on_message(message);
}

void Connection::on_acked(std::uint64_t seq) {
  role_->on_acked(seq);
}

void Connection::on_subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string_view> groups) {
  role_->on_subscribe(request_id, join, groups);
}

void Connection::on_writable() {
  role_->on_room();
}

void Connection::deliver(const Delivery& delivery) {
  if (role_) role_->deliver(delivery);
}

void Connection::send_shared(const protocol::SharedPublish& publish) {
  if (!role_) return worker_.metrics().dropped_qos0.add();
  role_->send_shared(publish);
}

void Connection::after_uplink_write(bool written) {
  uplink_queued = false;
  role_->after_uplink_write(written);  // only a role queues uplinks
}

void Connection::queue_ack(std::uint64_t seq) {
  queued_ack_ = seq;
  worker_.queue_ack(*this);
}

void Connection::queue_uplink(std::uint64_t seq) {
  queued_uplink_ = seq;
  worker_.queue_uplink(*this);
}

DownlinkRoom Connection::downlink_room() const {
  return {session_.send_credit(), write_queue_bytes_ + session_.output().size(),
          worker_.context().options.write_high_water_bytes};
}

Route Connection::route(std::int64_t since_ms) const {
  return {.connection = id_,
          .since_ms = since_ms,
          .worker = worker_.index(),
          .tls = wire_.is_tls(),
          .address = ip_};
}

// ---------------------------------------------------------------------------------------------
// The end

void Connection::kick(Reason reason, std::uint32_t reconnect_after_ms, std::string_view message) {
  if (lifecycle_.closing()) return;
  worker_.metrics().kicked.add();
  session_.goaway(reason, reconnect_after_ms, message);
}

void Connection::on_close(const protocol::CloseInfo& info) {
  auto& context = worker_.context();
  const bool was_open = lifecycle_.counted_open();
  wire_.end(info.reason);  // a WebSocket's Close carries the reason
  if (recorder_) record_close_reason(info);
  if (ack_queued) context.store->ack(session_.device_id(), take_queued_ack());  // not left behind
  if (uplink_queued) {  // its event is recorded: keep the dedup state that goes with it
    uplink_queued = false;
    context.store->set_uplink_last_received(session_.device_id(), queued_uplink_);
  }
  auto& metrics = worker_.metrics();
  // The reason may come from the peer (its Error frame): counted apart (reason_counters.h). An
  // HTTP exchange of the WebSocket port that went as it should (a tunnel's POST or poll) never
  // had a session to fail.
  if (was_open || !answered_http_exchange())
    (was_open ? metrics.closed : metrics.handshake_failed).add(info.reason, info.by_peer);
  worker_.commands().connection_closed(id_);
  if (lifecycle_.holds_route()) role_->on_close(info, was_open);  // Welcoming or Open
  if (!was_open && !info.by_peer && is_failed_attempt(info.reason) && !session_.device_id().empty())
    context.auth->admission().record_failure(ip_.address(), session_.device_id(), wall_clock_ms());
  // Handshakes that never opened are a stranger's to cause at will: only at debug.
  const log::Level level = was_open ? log::Level::info : log::Level::debug;
  if (log::enabled(level))
    log::write(level, "session.closed",
               {{"device", session_.device_id()},
                {"ip", ip_.text()},
                {"reason", reason_name(info.reason)},
                {"by_peer", info.by_peer}});
  close_socket();  // enters Closing: what the socket holds is released in on_closed()
}

bool Connection::answered_http_exchange() const {
  const kite::tls::WireLayer* layer = wire_.layer();
  return layer && !layer->open() && layer->ended() && layer->why().empty();
}

}  // namespace kite::server
