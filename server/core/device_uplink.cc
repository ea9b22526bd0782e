// DeviceRole, uplink: what a device publishes, and what each of its frames costs.
//
// A device's QoS 1 uplink is acknowledged only once it is kept: its event is in the log and its
// seq (the dedup state) is in the store. The seq is written with the worker's other store writes
// of the loop turn (one write, fsynced under store.durability = sync), and the ack waits for it.
// When no uplink events are recorded, a QoS 1 uplink is answered Error{NotFound, ref = seq}.
#include <utility>

#include "core/connection.h"
#include "core/device_role.h"
#include "core/uplink_cost.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;

// Every frame of a device, publish or not, is charged before it is handled (uplink_cost.h).
void DeviceRole::on_frame(wire::Message type, std::size_t body_bytes) {
  connection_.charge_uplink(uplink_cost(type, body_bytes));
}

void DeviceRole::on_message(const protocol::IncomingMessage& message) {
  const bool stored = message.qos == protocol::Qos::AtLeastOnce;
  if (!worker_of().records(events::EventType::Uplink)) {
    // Nothing keeps uplinks: a QoS 1 one must not be acknowledged as if it were held.
    if (stored)
      connection_.session().send_error(
          Reason::NotFound, message.seq,
          "this server records no uplink messages (events.types); not kept", connection_.now());
    return acknowledge_uplink(message.seq);
  }
  worker_of().events().uplink(device(), wall_clock_ms(),
                              {stored ? message.seq : 0, static_cast<std::uint8_t>(stored ? 1 : 0),
                               message.topic, message.content_type, message.payload});
  if (stored) connection_.queue_uplink(message.seq);
  acknowledge_uplink(message.seq);
}

// The session learns that `seq` is processed now, or, while this turn holds a QoS 1 uplink for
// the store, once that write is done: acks are cumulative, so nothing after a held message may be
// acknowledged before it (QoS 0 messages carry the seq they follow).
void DeviceRole::acknowledge_uplink(std::uint64_t seq) {
  if (connection_.uplink_queued) {
    held_ack_ = seq;
    return;
  }
  connection_.session().acknowledge(seq, connection_.now());
}

// The worker's store write of this turn (worker.cc commit_turn) is done. Written: the uplinks it
// held are acknowledged. Failed: they are not, and the session ends so that the device sends them
// again on its next connection (its dedup state in the store is what it was).
void DeviceRole::after_uplink_write(bool written) {
  const std::uint64_t seq = std::exchange(held_ack_, 0);
  if (!written) {
    connection_.kick(Reason::Internal, 1000,
                     "the server could not store the uplink state; send it again");
  } else if (seq != 0) {
    connection_.session().acknowledge(seq, connection_.now());
  }
  connection_.after_session_call();
}

}  // namespace kite::server
