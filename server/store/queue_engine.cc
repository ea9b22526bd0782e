// QueueEngine: see queue_engine.h for the rules it keeps and message_store.h for the semantics.
#include "store/queue_engine.h"
#include "store/queue_engine_counters.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/log.h"
#include "store/random_ids.h"
#include "store/ttl.h"

namespace kite::server::store {

namespace {

using Status = EnqueueResult::Status;
constexpr std::size_t kMaxField = 65535;  // the RocksDB record format stores these lengths in u16

std::string invalid_reason(std::string_view device, const NewMessage& m) {
  if (device.empty() || device.size() > kMaxField) return "device id must be 1..65535 bytes";
  const std::pair<const char*, std::string_view> fields[] = {
      {"topic", m.topic},
      {"content type", m.content_type},
      {"conflation key", m.conflation_key},
      {"idempotency key", m.idempotency_key}};
  for (const auto& [name, value] : fields) {
    if (value.size() > kMaxField) return fmt::format("{} is longer than 65535 bytes", name);
  }
  return {};
}

EnqueueResult answer(Status status, std::string error = {}) {
  EnqueueResult result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

std::uint64_t size_of(const NewMessage& m) {
  return m.payload.size() + m.topic.size() + m.content_type.size() + m.conflation_key.size();
}

StoredMessage to_stored(const MessageView& m) {
  return {m.seq,
          std::string(m.message_id),
          m.enqueued_at_ms,
          m.expires_at_ms,
          std::string(m.topic),
          std::string(m.content_type),
          std::string(m.conflation_key),
          std::string(m.payload)};
}

std::uint64_t minus(std::uint64_t value, std::uint64_t amount) {  // never wraps below zero
  return value - std::min(value, amount);
}

}  // namespace

QueueEngine::QueueEngine(std::unique_ptr<Backend> backend, const StoreOptions& options)
    : backend_(std::move(backend)), options_(options), idempotency_(options.idempotency_records) {
  backend_->totals(totals_.messages, totals_.bytes);
  backend_->scan_idempotency(
      [this](std::uint64_t expires_at_ms) { idempotency_.add(expires_at_ms); });
}

QueueEngine::Stripe& QueueEngine::stripe(std::string_view device) {
  return stripes_[std::hash<std::string_view>{}(device) % stripes_.size()];
}

std::unique_lock<std::mutex> QueueEngine::lock(Stripe& stripe) {
  std::unique_lock guard(stripe.mutex);
  // Before any reference into the cache is taken. A shared store starts every call from storage.
  if (backend_->shared())
    stripe.cache.clear();
  else
    stripe.cache.trim();
  return guard;
}

// Caller holds the device's stripe lock.
CachedDevice& QueueEngine::load(Transaction& txn, std::string_view device, Touched& touched,
                                CachedDevice* scratch) {
  touched.push_back(device);
  DeviceCache& cache = stripe(device).cache;
  if (CachedDevice* cached = cache.find(device)) return *cached;
  DeviceMeta meta = txn.meta(device);
  // After a crash, seqs up to the reservation may have been seen by the device: never again.
  if (!backend_->closed_cleanly()) meta.last_seq = std::max(meta.last_seq, meta.reserved_seq);
  if (!scratch) return cache.insert(device, meta);
  scratch->meta = meta;
  scratch->start_index(scratch->meta.queued_messages == 0);
  return *scratch;
}

bool QueueEngine::reserve_seqs(Transaction& txn, const Touched& touched) {
  bool moved = false;
  for (std::string_view device : touched) {
    CachedDevice* cached = stripe(device).cache.find(device);
    if (!cached || cached->meta.last_seq <= cached->meta.reserved_seq) continue;
    cached->meta.reserved_seq = cached->meta.last_seq + kSeqReservation;
    txn.put_meta(device, cached->meta);
    moved = true;
  }
  return moved;
}

EnqueueResult QueueEngine::enqueue(std::string_view device_id, const NewMessage& message,
                                   std::uint64_t now_ms) {
  const std::pair<std::string_view, NewMessage> one{device_id, message};
  std::vector<EnqueueResult> results;
  enqueue_batch({&one, 1}, now_ms, results);
  return std::move(results.front());
}

void QueueEngine::enqueue_batch_once(
    std::span<const std::pair<std::string_view, NewMessage>> messages, std::uint64_t now_ms,
    std::vector<EnqueueResult>& results, bool deferred, std::uint64_t settle_group) {
  results.clear();
  results.reserve(messages.size());
  if (!healthy()) recover();  // a full disk may have room again (throttled)
  if (auto why = backend_->no_room(true); !why.empty()) {
    refused_for_room(why);
    for (std::size_t i = 0; i < messages.size(); ++i) results.push_back(answer(Status::Error, why));
    return;
  }
  auto locks = lock_all(messages, [](const auto& item) { return item.first; });

  auto txn = backend_->begin();
  Counters counters;
  Touched touched;
  for (const auto& [device, message] : messages) {
    if (auto why = invalid_reason(device, message); !why.empty()) {
      results.push_back(answer(Status::Invalid, std::move(why)));
      continue;
    }
    CachedDevice& cached = load(*txn, device, touched);
    results.push_back(stage(*txn, device, cached, message, now_ms, counters));
  }
  const bool wrote = counters.enqueued > 0;
  const bool reserved = deferred && wrote && reserve_seqs(*txn, touched);
  std::string error;
  if (finish(*txn, options_.durability == Durability::Sync, wrote, touched, &error,
             deferred && !reserved, {.settle_group = settle_group})) {
    apply(counters);
    return;
  }
  // Nothing was written, and a failed read may have misled any decision: only Invalid stands.
  std::lock_guard lock(totals_mutex_);
  totals_.messages -= counters.reserved.messages;
  totals_.bytes -= counters.reserved.bytes;
  for (EnqueueResult& result : results) {
    if (result.status == Status::Invalid) continue;
    result = answer(Status::Error, error);
  }
}

EnqueueResult QueueEngine::stage(Transaction& txn, std::string_view device, CachedDevice& cached,
                                 const NewMessage& message, std::uint64_t now_ms,
                                 Counters& counters) {
  Admission admission;
  if (auto refusal = decide(txn, device, cached, message, now_ms, counters, admission))
    return std::move(*refusal);
  return write(txn, device, cached, message, now_ms, counters, admission);
}

std::optional<EnqueueResult> QueueEngine::decide(Transaction& txn, std::string_view device,
                                                 const CachedDevice& cached,
                                                 const NewMessage& message, std::uint64_t now_ms,
                                                 Counters& counters, Admission& admission) {
  if (!message.idempotency_key.empty()) {
    auto seen = txn.idempotency(device, message.idempotency_key);
    if (seen && seen->expires_at_ms > now_ms) {
      ++counters.duplicates;
      EnqueueResult duplicate = answer(Status::Duplicate);
      duplicate.seq = seen->seq;
      duplicate.message_id = std::move(seen->message_id);
      return duplicate;
    }
  }
  if (!message.idempotency_key.empty() && !idempotency_.has_room(now_ms)) {
    ++counters.idempotency_refused;
    return answer(Status::Busy, "the server holds its cap of idempotency records; retry later");
  }
  admission.size = size_of(message);
  if (admission.size > options_.per_device_bytes) {
    ++counters.rejected_full;
    return answer(Status::Full);
  }
  // What it replaces, and what must go to make room.
  const DeviceMeta& meta = cached.meta;
  if (!message.conflation_key.empty())
    admission.replaced = txn.conflation(device, message.conflation_key);
  Room freed;
  if (admission.replaced) freed = {1, admission.replaced->bytes};
  std::uint64_t cursor = meta.gone_through;
  const std::uint64_t skip_seq = admission.replaced ? admission.replaced->seq : 0;
  while (!admit(meta, freed, admission.size, counters)) {
    Victim victim;
    // The oldest message goes if it has expired anyway, or if the policy lets us drop it.
    if (!next_oldest(txn, device, skip_seq, now_ms, cursor, victim) ||
        (!victim.expired && options_.full_policy == FullPolicy::Reject)) {
      ++counters.rejected_full;
      return answer(Status::Full);
    }
    freed.messages += 1;
    freed.bytes += victim.bytes;
    admission.victims.push_back(std::move(victim));
  }
  return std::nullopt;
}

// Admitted: stage the deletions, then the message and its index records, then the meta record.
EnqueueResult QueueEngine::write(Transaction& txn, std::string_view device, CachedDevice& cached,
                                 const NewMessage& message, std::uint64_t now_ms,
                                 Counters& counters, const Admission& admission) {
  DeviceMeta& meta = cached.meta;
  EnqueueResult result = answer(Status::Queued);
  remove(txn, device, meta, admission.victims);
  for (const Victim& victim : admission.victims) {
    cached.erase(victim.seq);
    if (victim.expired) {
      ++counters.expired;
      counters.notices.push_back(
          notice_of(device, victim, MessageNotice::Kind::Expired, "", now_ms));
    } else {
      ++counters.dropped_full;
      ++result.dropped_oldest;
      counters.notices.push_back(
          notice_of(device, victim, MessageNotice::Kind::Dropped, "queue_full", now_ms));
    }
  }
  if (!admission.victims.empty())
    meta.gone_through = std::max(meta.gone_through, admission.victims.back().seq);
  if (const auto& replaced = admission.replaced) {
    txn.delete_message(device, replaced->seq);  // its index record is overwritten below
    cached.erase(replaced->seq);
    meta.queued_messages = minus(meta.queued_messages, 1);
    meta.queued_bytes = minus(meta.queued_bytes, replaced->bytes);
    result.replaced = true;
    ++counters.conflated;
    counters.notices.push_back({MessageNotice::Kind::Replaced,
                                std::string(device),
                                {},
                                replaced->seq,
                                0,
                                now_ms,
                                "",
                                false});
  }
  result.seq = ++meta.last_seq;
  result.message_id = new_message_id();
  const std::uint64_t expires_at = expires_at_ms(now_ms, message.ttl_ms);
  txn.put_message(device, {result.seq, now_ms, expires_at, result.message_id, message.topic,
                           message.content_type, message.conflation_key, message.payload});
  if (expires_at != 0)
    txn.put_deadline({expires_at, Deadline::Kind::Expiry, result.seq, device, false});
  if (message.fallback_after_ms != 0)
    txn.put_deadline({expires_at_ms(now_ms, message.fallback_after_ms), Deadline::Kind::Fallback,
                      result.seq, device, message.fallback_cancel});
  const std::uint64_t size = admission.size;
  if (!message.conflation_key.empty())
    txn.put_conflation(device, message.conflation_key, {result.seq, size});
  if (!message.idempotency_key.empty()) {
    const std::uint64_t until = now_ms + options_.idempotency_window_ms;
    txn.put_idempotency(device, message.idempotency_key, {until, result.seq, result.message_id},
                        now_ms);
    idempotency_.add(until);
  }
  cached.reindex_if_empty();
  meta.queued_messages += 1;
  meta.queued_bytes += size;
  if (size <= std::numeric_limits<std::uint32_t>::max())
    cached.append({result.seq, static_cast<std::uint32_t>(size), !message.conflation_key.empty()});
  else
    cached.start_index(false);
  txn.put_meta(device, meta);
  ++counters.enqueued;
  return result;
}

// The device's oldest queued message after `cursor`, other than skip_seq (it is being replaced).
bool QueueEngine::next_oldest(Transaction& txn, std::string_view device, std::uint64_t skip_seq,
                              std::uint64_t now_ms, std::uint64_t& cursor, Victim& victim) {
  bool found = false;
  txn.scan(device, cursor, [&](const MessageView& m) {
    if (m.seq == skip_seq) return true;
    victim = Victim::of(m, m.expired(now_ms));
    found = true;
    return false;
  });
  if (found) cursor = victim.seq;
  return found;
}

// Reserves the room in the global totals if the message fits both the device and the global caps.
// A change that does not grow a total is always allowed (caps may have shrunk since a restart).
bool QueueEngine::admit(const DeviceMeta& meta, Room freed, std::uint64_t size,
                        Counters& counters) {
  if (minus(meta.queued_messages, freed.messages) + 1 > options_.per_device_messages ||
      minus(meta.queued_bytes, freed.bytes) + size > options_.per_device_bytes) {
    return false;
  }
  const Room delta{1 - freed.messages, size - freed.bytes};  // modulo 2^64: may be "negative"
  const auto grows = [](std::uint64_t d) { return static_cast<std::int64_t>(d) > 0; };
  std::lock_guard lock(totals_mutex_);
  if ((grows(delta.messages) && totals_.messages + delta.messages > options_.global_messages) ||
      (grows(delta.bytes) && totals_.bytes + delta.bytes > options_.global_bytes)) {
    return false;
  }
  totals_.messages += delta.messages;
  totals_.bytes += delta.bytes;
  counters.reserved.messages += delta.messages;
  counters.reserved.bytes += delta.bytes;
  return true;
}

void QueueEngine::remove(Transaction& txn, std::string_view device, DeviceMeta& meta,
                         const std::vector<Victim>& victims) {
  for (const Victim& victim : victims) {
    txn.delete_message(device, victim.seq);
    if (!victim.conflation_key.empty()) txn.delete_conflation(device, victim.conflation_key);
    meta.queued_messages = minus(meta.queued_messages, 1);
    meta.queued_bytes = minus(meta.queued_bytes, victim.bytes);
  }
}

void QueueEngine::release(const std::vector<Victim>& victims) {
  std::lock_guard lock(totals_mutex_);
  for (const Victim& victim : victims) {
    totals_.messages = minus(totals_.messages, 1);
    totals_.bytes = minus(totals_.bytes, victim.bytes);
  }
}

void QueueEngine::read_once(std::string_view device_id, std::uint64_t after_seq,
                            std::size_t max_messages, std::size_t max_bytes, std::uint64_t now_ms,
                            std::vector<StoredMessage>& out) {
  out.clear();
  if (max_messages == 0) return;
  auto guard = lock(stripe(device_id));
  auto txn = backend_->begin();
  Touched touched;
  CachedDevice scratch;
  CachedDevice& cached = load(*txn, device_id, touched, &scratch);
  DeviceMeta& meta = cached.meta;
  std::vector<Victim> expired;
  std::uint64_t bytes = 0;
  // The meta is written in the same batch as every message record it counts: with none queued
  // there is nothing to find (every device's read as it connects: a seek in every level saved).
  if (meta.queued_messages != 0)
    txn->scan(device_id, std::max(after_seq, meta.gone_through), [&](const MessageView& m) {
      if (m.expired(now_ms)) {
        expired.push_back(Victim::of(m, true));
        return true;
      }
      if (!out.empty() && bytes + m.bytes() > max_bytes) return false;
      out.push_back(to_stored(m));
      bytes += m.bytes();
      return out.size() < max_messages;
    });
  if (!expired.empty()) {
    remove(*txn, device_id, meta, expired);
    for (const Victim& victim : expired) cached.erase(victim.seq);
    cached.reindex_if_empty();
    txn->put_meta(device_id, meta);
  }
  if (finish(*txn, false, !expired.empty(), touched, nullptr, true) && !expired.empty()) {
    release(expired);
    stats_.expired += expired.size();
    std::vector<MessageNotice> notices;
    for (const Victim& victim : expired)
      notices.push_back(notice_of(device_id, victim, MessageNotice::Kind::Expired, "", now_ms));
    publish(notices);
  }
}

void QueueEngine::ack(std::string_view device_id, std::uint64_t through_seq) {
  const std::pair<std::string_view, std::uint64_t> one{device_id, through_seq};
  ack_batch({&one, 1});
}

void QueueEngine::ack_batch(std::span<const std::pair<std::string_view, std::uint64_t>> acks) {
  write_turn(acks, {}, {});
}

// Stages the deletion of the device's messages up to through_seq, adding them to `acked`.
void QueueEngine::stage_ack(Transaction& txn, std::string_view device, std::uint64_t through_seq,
                            Touched& touched, std::vector<Victim>& acked) {
  CachedDevice& cached = load(txn, device, touched);
  DeviceMeta& meta = cached.meta;
  through_seq = std::min(through_seq, meta.last_seq);  // seqs not yet assigned cannot be acked
  if (through_seq <= meta.acked_through) return;       // acks are cumulative: else a no-op
  std::vector<Victim> victims;
  if (!indexed_victims(cached, through_seq, victims)) {
    txn.scan(device, meta.gone_through, [&](const MessageView& m) {
      if (m.seq > through_seq) return false;
      victims.push_back({m.seq, m.bytes(), std::string(m.conflation_key), false, {}, 0});
      return true;
    });
  }
  remove(txn, device, meta, victims);
  cached.pop_through(through_seq);
  cached.reindex_if_empty();
  meta.acked_through = through_seq;
  meta.gone_through = std::max(meta.gone_through, through_seq);
  txn.put_meta(device, meta);
  acked.insert(acked.end(), std::make_move_iterator(victims.begin()),
               std::make_move_iterator(victims.end()));
}

void QueueEngine::set_member(std::string_view group, std::string_view device, bool member) {
  if (group.empty() || group.size() > kMaxField || device.empty() || device.size() > kMaxField)
    return;
  std::string error;
  if (backend_->put_member(group, device, member, options_.durability == Durability::Sync, error)) {
    healthy_.store(true, std::memory_order_relaxed);
    return;
  }
  healthy_.store(false, std::memory_order_relaxed);
  ++stats_.errors;
  KITE_LOG(error, "store.write_failed", {{"group", group}, {"device", device}, {"error", error}});
}

QueueInfo QueueEngine::info(std::string_view device_id) {
  const DeviceMeta meta = read_meta(device_id);
  return {meta.queued_messages, meta.queued_bytes, meta.last_seq + 1, meta.acked_through,
          meta.uplink_last_received};
}

// The acked messages from the cached index, without reading storage; false when the index is not
// complete or an acked message holds a conflation key (whose record must be found and deleted).
bool QueueEngine::indexed_victims(const CachedDevice& cached, std::uint64_t through_seq,
                                  std::vector<Victim>& victims) {
  if (!cached.index_complete()) return false;
  for (const QueuedEntry& entry : cached.queued()) {
    if (entry.seq > through_seq) break;
    if (entry.keyed) {
      victims.clear();
      return false;
    }
    victims.push_back({entry.seq, entry.bytes, {}, false, {}, 0});
  }
  return true;
}

DeviceMeta QueueEngine::read_meta(std::string_view device) {
  auto guard = lock(stripe(device));
  auto txn = backend_->begin();
  Touched touched;
  CachedDevice scratch;
  const DeviceMeta meta = load(*txn, device, touched, &scratch).meta;
  finish(*txn, false, false, touched);  // reports a failed read
  return meta;
}

void QueueEngine::set_uplink_last_received_once(std::string_view device_id, std::uint64_t seq) {
  if (device_id.empty() || device_id.size() > kMaxField) return;
  auto guard = lock(stripe(device_id));
  auto txn = backend_->begin();
  Touched touched;
  DeviceMeta& meta = load(*txn, device_id, touched).meta;
  meta.uplink_last_received = seq;
  txn->put_meta(device_id, meta);
  finish(*txn, options_.durability == Durability::Sync, true, touched);
}

// Commits, and on failure logs with context, marks the store unhealthy and forgets what the call
// cached (it may describe writes that never happened); a successful write marks it healthy again.
// The caller still holds the stripe locks of every touched device.
bool QueueEngine::finish(Transaction& txn, bool sync, bool wrote, const Touched& touched,
                         std::string* error, bool deferred, const DeferredCommit& what) {
  std::string why;
  if (deferred ? txn.commit_deferred(why, what) : txn.commit(sync, why)) {
    if (wrote) {
      healthy_.store(true, std::memory_order_relaxed);
      ++stats_.writes;
    }
    return true;
  }
  for (std::string_view device : touched) stripe(device).cache.erase(device);
  if (txn.conflicted()) {  // not a failure: the call runs again (queue_engine_retry.cc)
    conflicted() = true;
    if (error) *error = std::move(why);
    return false;
  }
  healthy_.store(false, std::memory_order_relaxed);
  ++stats_.errors;
  KITE_LOG(error, "store.write_failed",
           {{"device", touched.empty() ? std::string_view() : touched.front()}, {"error", why}});
  if (error) *error = std::move(why);
  return false;
}

}  // namespace kite::server::store
