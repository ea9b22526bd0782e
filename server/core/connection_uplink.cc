// Connection, uplink: what a device or a service publishes, and the per-device rate limit that
// pauses reading when a device sends faster than it may.
//
// A device's QoS 1 uplink is acknowledged only once it is kept: its event is in the log and its
// seq (the dedup state) is in the store. The seq is written with the worker's other store writes
// of the loop turn (one write, fsynced under store.durability = sync), and the ack waits for it.
// When no uplink events are recorded, a QoS 1 uplink is answered Error{NotFound, ref = seq}.
#include "core/connection.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "core/byte_views.h"
#include "core/delivery/dispatcher.h"
#include "core/uplink_cost.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

void Connection::on_message(const protocol::IncomingMessage& message) {
  worker_.metrics().messages_in.add();
  if (service_) return accept_from_service(message);  // charged in on_frame(), like any frame
  const bool stored = message.qos == protocol::Qos::AtLeastOnce;
  if (!worker_.records(events::EventType::Uplink)) {
    // Nothing keeps uplinks: a QoS 1 one must not be acknowledged as if it were held.
    if (stored)
      session_.send_error(Reason::NotFound, message.seq,
                          "this server records no uplink messages (events.types); not kept", now());
    return acknowledge_uplink(message.seq);
  }
  worker_.events().uplink(session_.device_id(), wall_clock_ms(),
                          {stored ? message.seq : 0, static_cast<std::uint8_t>(stored ? 1 : 0),
                           message.topic, message.content_type, message.payload});
  if (stored) {
    queued_uplink_ = message.seq;
    worker_.queue_uplink(*this);
  }
  acknowledge_uplink(message.seq);
}

// The session learns that `seq` is processed now, or, while this turn holds a QoS 1 uplink for
// the store, once that write is done: acks are cumulative, so nothing after a held message may be
// acknowledged before it (QoS 0 messages carry the seq they follow).
void Connection::acknowledge_uplink(std::uint64_t seq) {
  if (uplink_queued) {
    held_ack_ = seq;
    return;
  }
  session_.acknowledge(seq, now());
}

// The worker's store write of this turn (worker.cc commit_acks) is done. Written: the uplinks it
// held are acknowledged. Failed: they are not, and the session ends so that the device sends them
// again on its next connection (its dedup state in the store is what it was).
void Connection::after_uplink_write(bool written) {
  uplink_queued = false;
  const std::uint64_t seq = std::exchange(held_ack_, 0);
  if (!written) {
    kick(Reason::Internal, 1000, "the server could not store the uplink state; send it again");
  } else if (seq != 0) {
    session_.acknowledge(seq, now());
  }
  after_session_call();
}

// Every frame of a device, publish or not, is charged before it is handled (uplink_cost.h).
void Connection::on_frame(wire::Message type, std::size_t body_bytes) {
  if (!service_) charge_uplink(uplink_cost(type, body_bytes));
}

// Uplink rate limit: a token bucket per device (uplink_bucket.h); in debt, the socket is not read
// again until the debt is paid. `tokens`: 1 per frame (uplink_cost.h); a Subscribe/Unsubscribe
// costs 1 more per group it names (one store write each).
void Connection::charge_uplink(double tokens) {
  uplink_bucket_.charge(tokens, now());
}

void Connection::pause_reading() {
  reading_paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  resume_reading_at_ = uplink_bucket_.paid_at(now());
  worker_.metrics().uplink_throttled.add();
}

void Connection::resume_reading() {
  reading_paused_ = false;
  charge_uplink(0);  // the refill only: nothing was received
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
    // Sent now, not at the end of the read: QoS 0 is never stored, so nothing orders it after
    // the QoS 1 messages of the read. Dropped (and counted) when the device is offline or its
    // worker's inbox is full (transient_budget.h).
    const NewMessage transient{
        as_text(message.payload), message.topic, message.content_type, {}, {}, 0};
    const Parcel parcel{0, 0};
    static thread_local std::vector<Outcome> outcome;
    context.delivery->send({&transient, 1}, {&message.target, 1}, {&parcel, 1},
                           protocol::Qos::AtMostOnce, outcome);
    if (!outcome[0].sent) worker_.metrics().dropped_qos0.add();
    return ingest.add_answered(message.seq);
  }
  ingest.add_stored(message);
}

}  // namespace kite::server
