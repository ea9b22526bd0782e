// QueueEngine: the writes a worker makes for its devices outside enqueue and read: one loop turn's
// acks, uplink marks and events in one write, the event log's trimming, the discard of a message no
// device can take, and leaving a storage error state. See queue_engine.h for the locking rules and
// message_store.h for the semantics.
#include <fmt/format.h>

#include <chrono>

#include "common/log.h"
#include "store/queue_engine.h"
#include "store/record_codec.h"

namespace kite::server::store {

namespace {
constexpr std::size_t kMaxField = 65535;  // as in queue_engine.cc: the record format's u16 lengths

bool valid_device(std::string_view device) {
  return !device.empty() && device.size() <= kMaxField;
}
}  // namespace

bool QueueEngine::write_turn_once(
    std::span<const std::pair<std::string_view, std::uint64_t>> acks,
    std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
    std::span<const EventRecord> events, bool defer_events) {
  std::vector<std::string_view> devices;
  devices.reserve(acks.size() + uplinks.size());
  for (const auto& item : acks) devices.push_back(item.first);
  for (const auto& item : uplinks) devices.push_back(item.first);
  if (auto why = backend_->no_room(false); !why.empty()) {
    refused_for_room(why);
    return false;
  }
  auto locks = lock_all(devices, [](std::string_view device) { return device; });
  auto txn = backend_->begin();
  Touched touched;
  std::vector<Victim> acked;
  for (const auto& [device, through_seq] : acks) {
    if (valid_device(device)) stage_ack(*txn, device, through_seq, touched, acked);
  }
  bool marked = false;
  for (const auto& [device, seq] : uplinks) {
    if (!valid_device(device)) continue;
    DeviceMeta& meta = load(*txn, device, touched).meta;
    meta.uplink_last_received = seq;
    txn->put_meta(device, meta);
    marked = true;
  }
  for (const EventRecord& event : events) txn->put_event(event);
  // Acks alone are never fsynced: one lost in a power cut only means a resend, which QoS 1 allows.
  // Uplink marks and events are, under Sync: the devices are told their messages are held, and
  // readers see the events, once this returns.
  // Deferred events are the caller's to hold back until written (message_store.h); under Sync
  // none is deferred: a receipt, connect or disconnect shown must survive a power cut too.
  const bool sync_durability = options_.durability == Durability::Sync;
  const bool durable = marked || (!events.empty() && (!defer_events || sync_durability));
  const bool sync = durable && sync_durability;
  if (!finish(*txn, sync, durable || !acked.empty(), touched, nullptr, !durable,
              {.device_acks = true}))
    return false;
  release(acked);
  stats_.acked += acked.size();
  return true;
}

void QueueEngine::trim_events(std::uint64_t through_id) {
  std::string error;
  if (backend_->delete_events_through(through_id, error)) return;
  ++stats_.errors;
  KITE_LOG(warn, "store.events_trim_failed", {{"through", through_id}, {"error", error}});
}

void QueueEngine::save_consumer_group(std::string_view group,
                                      std::span<const std::uint64_t> acked) {
  std::string cursors, error;
  for (std::uint64_t id : acked) records::append_u64(cursors, id);
  if (backend_->put_consumer_group(group, cursors, error)) return;
  ++stats_.errors;
  KITE_LOG(warn, "store.consumer_group_failed", {{"group", group}, {"error", error}});
}

void QueueEngine::for_each_consumer_group(const CursorVisit& visit) {
  std::vector<std::uint64_t> acked;
  backend_->scan_consumer_groups([&](std::string_view group, std::string_view cursors) {
    acked.clear();
    for (std::size_t at = 0; at + 8 <= cursors.size(); at += 8) {
      std::uint64_t id = 0;
      records::read_u64(cursors.substr(at), id);
      acked.push_back(id);
    }
    visit(group, acked);
  });
}

void QueueEngine::discard_once(std::string_view device_id, std::uint64_t seq) {
  if (!valid_device(device_id) || seq == 0 || !backend_->no_room(false).empty()) return;
  auto guard = lock(stripe(device_id));
  auto txn = backend_->begin();
  Touched touched;
  CachedDevice& cached = load(*txn, device_id, touched);
  DeviceMeta& meta = cached.meta;
  std::vector<Victim> victims;
  if (seq > meta.gone_through) {
    txn->scan(device_id, seq - 1, [&](const MessageView& m) {
      if (m.seq == seq) victims.push_back(Victim::of(m, false));
      return false;
    });
  }
  if (victims.empty()) {
    finish(*txn, false, false, touched);  // reports a failed read
    return;
  }
  remove(*txn, device_id, meta, victims);
  cached.erase(seq);
  cached.reindex_if_empty();
  txn->put_meta(device_id, meta);
  if (finish(*txn, false, true, touched, nullptr, true)) {
    release(victims);
    ++stats_.dropped_too_large;
    std::vector<MessageNotice> notices{
        notice_of(device_id, victims.front(), MessageNotice::Kind::Dropped, "too_large", 0)};
    publish(notices);
  }
}

// Throttled to one attempt a second: enqueue calls it on every send while the store is broken.
bool QueueEngine::recover() {
  if (healthy()) return true;
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  auto last = last_recovery_ms_.load(std::memory_order_relaxed);
  if (now_ms - last < kRecoveryIntervalMs ||
      !last_recovery_ms_.compare_exchange_strong(last, now_ms, std::memory_order_relaxed))
    return false;
  std::string error = backend_->no_room(true);
  if (!error.empty() || !backend_->resume(error)) {
    KITE_LOG(debug, "store.recovery_failed", {{"error", error}});
    return false;
  }
  // Resumed: the next write says whether it really works; until then, serve again.
  healthy_.store(true, std::memory_order_relaxed);
  ++stats_.recoveries;
  KITE_LOG(info, "store.recovered", {});
  return true;
}

void QueueEngine::refused_for_room(const std::string& why) {
  ++stats_.errors;
  if (healthy_.exchange(false, std::memory_order_relaxed))  // logged once per episode
    KITE_LOG(error, "store.no_room", {{"error", why}});
}

void QueueEngine::write_pending() {
  std::string error;
  if (!backend_->flush_pending(error))
    KITE_LOG(error, "store.write_behind_failed", {{"error", error}});
}

}  // namespace kite::server::store
