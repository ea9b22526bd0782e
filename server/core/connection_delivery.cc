// Connection, downlink: stored (QoS 1) messages read from the store or handed over as they are
// stored, transient (QoS 0) ones sent only while there is room, and the device's acks.
#include "core/connection.h"

#include <algorithm>

#include "common/log.h"
#include "common/log_limiter.h"
#include "core/byte_views.h"
#include "core/worker.h"
#include "store/ttl.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

void Connection::pump() {
  if (service_ || lifecycle_.closing() || !session_.is_open() || !backlog_) return;
  auto& context = worker_.context();
  const std::string& device = session_.device_id();
  static thread_local std::vector<StoredMessage> batch;
  while (downlink_room().any()) {
    const std::size_t want = store_read_count(session_.send_credit());
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
  if (lifecycle_.closing() || service_ || !session_.is_open()) return;
  const auto wall = static_cast<std::uint64_t>(wall_clock_ms());
  switch (carried_step(delivery.seq, delivery.expires_at_ms, {last_stored_sent_, backlog_},
                       downlink_room(), wall)) {
    case CarriedStep::skip:
      return;
    case CarriedStep::read_store:  // the store has it: read it when this connection can take it
      backlog_ = true;
      return pump();
    case CarriedStep::send_now:
      send_stored(delivery, wall);
      return after_session_call();
  }
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
  if (stored.expires_at_ms != 0) out.ttl_ms = remaining_ttl_ms(stored.expires_at_ms, wall);
  auto status = session_.publish_stored(stored.seq, out, now());
  if (status == protocol::SendStatus::Sent && stored.accepted_at_us != 0)
    worker_.metrics().delivery_latency.observe(static_cast<std::uint64_t>(
        std::max<std::int64_t>(wall_clock_us() - stored.accepted_at_us, 0)));
  if (status == protocol::SendStatus::Sent && worker_.records(events::EventType::Receipt))
    receipts_.sent(stored.seq, stored.message_id);
  if (status == protocol::SendStatus::TooLarge)
    dead_letter(stored);
  else if (status != protocol::SendStatus::Sent)
    KITE_LOG(
        error, "delivery.undeliverable",
        {{"device", session_.device_id()}, {"seq", stored.seq}, {"size", stored.payload.size()}});
  else
    worker_.metrics().messages_out.add();
  last_stored_sent_ = stored.seq;
}

// A stored message larger than the device's frame can never reach it: it leaves the queue as
// dropped (kite_dropped_total{reason="too_large"}), never as acknowledged, and the device's later
// cumulative ack finds it gone. Logged at most a few times a second, whoever sends such messages.
void Connection::dead_letter(const Delivery& stored) {
  static log::Limiter limiter(5, 1000);
  worker_.context().store->discard(session_.device_id(), stored.seq);
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, "delivery.too_large",
             {{"device", session_.device_id()},
              {"seq", stored.seq},
              {"message_id", stored.message_id},
              {"size", stored.payload.size()},
              {"device_max_frame", session_.peer_max_frame()},
              {"suppressed", *suppressed}});
}

void Connection::send_shared(const protocol::SharedPublish& publish) {
  const bool sent = has_room_for_transient() &&
                    session_.send_shared(publish, now()) == protocol::SendStatus::Sent;
  after_transient(sent);
}

// QoS 0 goes out only if the device has credit and its socket is below the high-water mark.
bool Connection::has_room_for_transient() const {
  return !lifecycle_.closing() && session_.is_open() && downlink_room().any();
}

DownlinkRoom Connection::downlink_room() const {
  return {session_.send_credit(), write_queue_bytes_ + session_.output().size(),
          worker_.context().options.write_high_water_bytes};
}

void Connection::after_transient(bool sent) {
  if (!sent) return worker_.metrics().dropped_qos0.add();  // at most once: no room now, not at all
  worker_.metrics().messages_out.add();
  after_session_call();
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

}  // namespace kite::server
