#include "core/service_ingest.h"

#include "common/log.h"
#include "core/connection.h"
#include "core/worker.h"
#include "store/ttl.h"

namespace kite::server {

using protocol::Reason;

void ServiceIngest::add_stored(const protocol::IncomingMessage& message,
                               std::uint64_t default_ttl_ms) {
  Entry entry;
  entry.seq = message.seq;
  entry.stored = true;
  entry.ttl_ms = message.ttl_ms ? message.ttl_ms : default_ttl_ms;
  const std::string_view fields[6] = {
      message.target,
      {reinterpret_cast<const char*>(message.payload.data()), message.payload.size()},
      message.topic,
      message.content_type,
      message.conflation_key,
      message.message_id};
  arena_.add_all(fields, entry.fields);
  entries_.push_back(entry);
}

void ServiceIngest::add_answered(std::uint64_t seq) {
  Entry entry;
  entry.seq = seq;
  entries_.push_back(entry);
}

void ServiceIngest::commit(protocol::Session& session, std::int64_t now) {
  if (entries_.empty()) return;
  auto& context = worker_.context();
  batch_.clear();
  for (const Entry& e : entries_) {
    if (!e.stored) continue;
    batch_.emplace_back(field(e, 0), NewMessage{field(e, 1), field(e, 2), field(e, 3), field(e, 4),
                                                field(e, 5), e.ttl_ms});
  }
  const auto wall = static_cast<std::uint64_t>(wall_clock_ms());
  const std::int64_t accepted_at_us = wall_clock_us();
  if (!batch_.empty()) context.store->enqueue_batch(batch_, wall, results_);
  outgoing_.resize(context.workers.size());

  // A message that replaced or dropped others of its device may have removed one carried from
  // this same read: such a device is only woken, and reads its queue back from the store.
  superseded_.clear();
  for (std::size_t i = 0; i < results_.size(); ++i)
    if (results_[i].status == EnqueueResult::Status::Queued &&
        (results_[i].replaced || results_[i].dropped_oldest > 0))
      superseded_.insert(batch_[i].first);

  std::size_t next_result = 0;
  for (const Entry& e : entries_) {
    if (e.stored) {
      const NewMessage& message = batch_[next_result].second;
      const EnqueueResult& result = results_[next_result++];
      switch (result.status) {
        case EnqueueResult::Status::Queued:
          if (auto route = context.registry->find(field(e, 0))) {
            if (superseded_.contains(field(e, 0))) {
              outgoing_[route->worker].add({route->connection, 0, 0, 0, {}, {}, {}, {}, {}});
              break;
            }
            const std::uint64_t expires_at = expires_at_ms(wall, message.ttl_ms);
            outgoing_[route->worker].add({route->connection, result.seq, expires_at, accepted_at_us,
                                          result.message_id, message.topic, message.content_type,
                                          message.conflation_key, message.payload});
          }
          break;
        case EnqueueResult::Status::Duplicate:
          break;
        case EnqueueResult::Status::Full:
          session.send_error(Reason::QueueFull, e.seq, "the device's queue is full", now);
          break;
        case EnqueueResult::Status::Busy:
          session.send_error(Reason::QueueFull, e.seq, result.error, now);
          break;
        default:
          KITE_LOG(error, "service.enqueue_failed",
                   {{"device", field(e, 0)}, {"seq", e.seq}, {"error", result.error}});
          session.send_error(Reason::Internal, e.seq, result.error, now);
          break;
      }
    }
    session.acknowledge(e.seq, now);
  }
  entries_.clear();
  arena_.clear();
  dispatch();
}

// Hands each worker its deliveries: this worker's at once, the others' as one posted task each.
void ServiceIngest::dispatch() {
  for (std::uint32_t index = 0; index < outgoing_.size(); ++index) {
    DeliveryBatch& batch = outgoing_[index];
    if (batch.empty()) continue;
    if (index == worker_.index()) {
      worker_.deliver(batch);
      batch.clear();
    } else {
      worker_.context().workers[index]->post(
          [carried = std::move(batch)](Worker& w) { w.deliver(carried); });
      batch = DeliveryBatch();
    }
  }
}

}  // namespace kite::server
