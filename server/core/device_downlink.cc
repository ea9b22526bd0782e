// DeviceRole, downlink: stored (QoS 1) messages read from the store or handed over as they are
// stored (the choice: downlink_decision.h), transient (QoS 0) ones sent only while there is
// room, and the device's acks.
#include <algorithm>

#include "common/log.h"
#include "common/log_limiter.h"
#include "core/byte_views.h"
#include "core/connection.h"
#include "core/delivery/message_status.h"
#include "core/device_role.h"
#include "core/worker.h"
#include "store/ttl.h"

namespace kite::server {

void DeviceRole::pump() {
  auto& session = connection_.session();
  if (connection_.closing() || !session.is_open() || !backlog_) return;
  static thread_local std::vector<StoredMessage> batch;
  while (connection_.downlink_room().any()) {
    const std::size_t want = store_read_count(session.send_credit());
    auto wall = static_cast<std::uint64_t>(wall_clock_ms());
    worker_of().context().store->read(device(), last_stored_sent_, want, kStoreReadBytes, wall,
                                      batch);
    if (batch.empty()) {
      backlog_ = false;
      break;
    }
    for (const auto& stored : batch) {
      if (session.send_credit() == 0) break;
      // accepted_at 0: a message read back from the store may have waited for a device that
      // was offline; the latency histogram is about devices that are online.
      send_stored({connection_.id(), stored.seq, stored.expires_at_ms, 0, stored.message_id,
                   stored.topic, stored.content_type, stored.conflation_key, stored.payload},
                  wall);
    }
  }
  connection_.after_session_call();
}

void DeviceRole::deliver(const Delivery& delivery) {
  if (connection_.closing() || !connection_.session().is_open()) return;
  const auto wall = static_cast<std::uint64_t>(wall_clock_ms());
  switch (carried_step(delivery.seq, delivery.expires_at_ms, {last_stored_sent_, backlog_},
                       connection_.downlink_room(), wall)) {
    case CarriedStep::skip:
      return;
    case CarriedStep::read_store:  // the store has it: read it when this connection can take it
      backlog_ = true;
      return pump();
    case CarriedStep::send_now:
      send_stored(delivery, wall);
      return connection_.after_session_call();
  }
}

// Hands one stored message (with credit available) to the session.
void DeviceRole::send_stored(const Delivery& stored, std::uint64_t wall) {
  protocol::OutgoingMessage out;
  out.payload = as_bytes(stored.payload);
  out.qos = protocol::Qos::AtLeastOnce;
  out.topic = stored.topic;
  out.content_type = stored.content_type;
  out.conflation_key = stored.conflation_key;
  out.message_id = stored.message_id;
  if (stored.expires_at_ms != 0) out.ttl_ms = remaining_ttl_ms(stored.expires_at_ms, wall);
  auto status = connection_.session().publish_stored(stored.seq, out, connection_.now());
  if (status == protocol::SendStatus::Sent && stored.accepted_at_us != 0)
    worker_of().metrics().delivery_latency.observe(static_cast<std::uint64_t>(
        std::max<std::int64_t>(wall_clock_us() - stored.accepted_at_us, 0)));
  if (status == protocol::SendStatus::Sent && worker_of().records(events::EventType::Receipt))
    receipts_.sent(stored.seq, stored.message_id);
  if (status == protocol::SendStatus::Sent && worker_of().context().statuses)
    worker_of().context().statuses->sent(device(), stored.seq, wall);
  if (status == protocol::SendStatus::TooLarge)
    dead_letter(stored);
  else if (status != protocol::SendStatus::Sent)
    KITE_LOG(error, "delivery.undeliverable",
             {{"device", device()}, {"seq", stored.seq}, {"size", stored.payload.size()}});
  else
    worker_of().metrics().messages_out.add();
  last_stored_sent_ = stored.seq;
}

// A stored message larger than the device's frame can never reach it: it leaves the queue as
// dropped (kite_dropped_total{reason="too_large"}), never as acknowledged, and the device's later
// cumulative ack finds it gone. Logged at most a few times a second, whoever sends such messages.
void DeviceRole::dead_letter(const Delivery& stored) {
  static log::Limiter limiter(5, 1000);
  worker_of().context().store->discard(device(), stored.seq);
  if (auto* statuses = worker_of().context().statuses)
    statuses->ended(device(), stored.seq, MessageState::dropped, "too_large",
                    static_cast<std::uint64_t>(wall_clock_ms()));
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, "delivery.too_large",
             {{"device", device()},
              {"seq", stored.seq},
              {"message_id", stored.message_id},
              {"size", stored.payload.size()},
              {"device_max_frame", connection_.session().peer_max_frame()},
              {"suppressed", *suppressed}});
}

// QoS 0 goes out only if the device has credit and its socket is below the high-water mark;
// otherwise it is dropped and counted: at most once means no room now, not at all.
void DeviceRole::send_shared(const protocol::SharedPublish& publish) {
  auto& session = connection_.session();
  const bool sent = !connection_.closing() && session.is_open() &&
                    connection_.downlink_room().any() &&
                    session.send_shared(publish, connection_.now()) == protocol::SendStatus::Sent;
  if (!sent) return worker_of().metrics().dropped_qos0.add();
  worker_of().metrics().messages_out.add();
  connection_.after_session_call();
}

void DeviceRole::on_acked(std::uint64_t seq) {
  worker_of().metrics().acks_in.add();
  if (auto* statuses = worker_of().context().statuses)
    statuses->acked(device(), seq, static_cast<std::uint64_t>(wall_clock_ms()));
  if (receipts_.size() != 0) {
    const auto wall = wall_clock_ms();
    receipts_.acked(seq, [&](std::uint64_t acked_seq, std::string_view message_id) {
      worker_of().events().receipt(device(), wall, acked_seq, message_id);
    });
  }
  connection_.queue_ack(seq);
}

}  // namespace kite::server
