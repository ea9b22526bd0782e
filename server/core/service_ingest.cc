#include "core/service_ingest.h"

#include <algorithm>

#include "common/log.h"

namespace kite::server {

using protocol::Reason;

void ServiceIngest::add_stored(const protocol::IncomingMessage& message) {
  Entry entry;
  entry.seq = message.seq;
  entry.stored = true;
  entry.ttl_ms = message.ttl_ms ? message.ttl_ms : default_ttl_ms_;
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

void ServiceIngest::commit(protocol::Session& session, HeldAcks& held, std::int64_t now) {
  if (entries_.empty()) return;
  messages_.clear();
  devices_.clear();
  parcels_.clear();
  for (const Entry& e : entries_) {
    if (!e.stored) continue;
    const auto index = static_cast<std::uint32_t>(messages_.size());
    parcels_.push_back({index, index});  // each message has its own target
    devices_.push_back(field(e, 0));
    messages_.push_back(
        {field(e, 1), field(e, 2), field(e, 3), field(e, 4), field(e, 5), e.ttl_ms, 0, false});
  }
  // The read's messages settle early if each is acknowledged by its device before it is written.
  const std::uint64_t group = parcels_.empty() ? 0 : store_.open_settle_group();
  if (!parcels_.empty())
    delivery_.send(messages_, devices_, parcels_, protocol::Qos::AtLeastOnce, outcomes_,
                   Dispatcher::Durability::Deferred, group);
  store_.close_settle_group(group);
  // A duplicate (an idempotency key seen before) stores nothing of its own, so nothing of it can
  // settle, while its original may still be waiting for its write (sent on an earlier connection
  // whose ack never came): such a read waits for the write.
  const bool duplicate = std::any_of(outcomes_.begin(), outcomes_.end(), [](const Outcome& o) {
    return o.stored.status == EnqueueResult::Status::Duplicate;
  });
  // Before the acknowledgements below, so that the session sends no ack ahead of the write. In
  // order: once one read waits, every later one waits behind it.
  const std::uint64_t ticket = parcels_.empty() ? 0 : store_.write_ticket();
  if (!held.empty() || !store_.written(ticket))
    held.hold(session, {ticket, duplicate ? 0 : group}, entries_.back().seq, now);
  std::size_t next = 0;
  for (const Entry& e : entries_) {
    if (e.stored) answer(session, e, outcomes_[next++], now);
    session.acknowledge(e.seq, now);
  }
  entries_.clear();
  arena_.clear();
}

// A refused message gets an error frame before the ack that covers its seq.
void ServiceIngest::answer(protocol::Session& session, const Entry& e, const Outcome& outcome,
                           std::int64_t now) {
  const EnqueueResult& result = outcome.stored;
  switch (result.status) {
    case EnqueueResult::Status::Queued:
    case EnqueueResult::Status::Duplicate:
      return;
    case EnqueueResult::Status::Full:
      session.send_error(Reason::QueueFull, e.seq, "the device's queue is full", now);
      return;
    case EnqueueResult::Status::Busy:
      session.send_error(Reason::QueueFull, e.seq, result.error, now);
      return;
    default:
      KITE_LOG(error, "service.enqueue_failed",
               {{"device", field(e, 0)}, {"seq", e.seq}, {"error", result.error}});
      session.send_error(Reason::Internal, e.seq, result.error, now);
      return;
  }
}

}  // namespace kite::server
