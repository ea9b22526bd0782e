#include "core/delivery/message_status.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace kite::server {
namespace {

bool live(MessageState state) {
  return state == MessageState::queued || state == MessageState::sent;
}

// Never 0, so that 0 can mean "no key".
std::uint64_t key_hash(std::string_view key) {
  if (key.empty()) return 0;
  return std::max<std::uint64_t>(std::hash<std::string_view>{}(key), 1);
}

// A message the store would no longer hand out (its TTL passed) and that was never sent.
bool expired_unsent(MessageState state, std::uint64_t expires_at, std::uint64_t now_ms) {
  return state == MessageState::queued && expires_at != 0 && expires_at <= now_ms;
}

// The first entry with a seq above `seq`. An online device acks what it was just sent: a few
// steps back from the newest find it; deep in a backlog, a binary search does.
template <typename Entries>
typename Entries::iterator first_after(Entries& entries, std::uint64_t seq) {
  constexpr int kWalk = 8;
  auto it = entries.end();
  for (int step = 0; step < kWalk && it != entries.begin(); ++step, --it)
    if (std::prev(it)->seq <= seq) return it;
  if (it == entries.begin()) return it;
  return std::upper_bound(entries.begin(), it, seq,
                          [](std::uint64_t s, const auto& entry) { return s < entry.seq; });
}

}  // namespace

std::string_view state_name(MessageState state) {
  switch (state) {
    case MessageState::queued:
      return "queued";
    case MessageState::sent:
      return "sent";
    case MessageState::acked:
      return "acked";
    case MessageState::expired:
      return "expired";
    case MessageState::dropped:
      return "dropped";
    case MessageState::replaced:
      return "replaced";
  }
  return "unknown";
}

MessageStatusBook::MessageStatusBook(std::uint64_t window_ms, std::uint64_t max_entries)
    : window_ms_(window_ms), max_entries_(max_entries) {}

MessageStatusBook::Shard& MessageStatusBook::shard_of(std::string_view device) {
  return shards_[Hash{}(device) % kShards];
}

MessageStatusBook::Device* MessageStatusBook::device_in(Shard& shard, std::string_view device) {
  auto it = shard.devices.find(device);
  return it == shard.devices.end() ? nullptr : &it->second;
}

// The newest entry first (what an online device is sent and acks), else a binary search.
MessageStatusBook::Entry* MessageStatusBook::entry_of(Device& device, std::uint64_t seq) {
  auto& entries = device.entries;
  if (!entries.empty() && entries.back().seq == seq && !entries.back().forgotten)
    return &entries.back();
  auto it = std::lower_bound(entries.begin(), entries.end(), seq,
                             [](const Entry& entry, std::uint64_t s) { return entry.seq < s; });
  return it == entries.end() || it->seq != seq || it->forgotten ? nullptr : &*it;
}

void MessageStatusBook::queued(const StoredNotice& notice, std::uint64_t now_ms) {
  Shard& shard = shard_of(notice.device);
  {
    std::lock_guard lock(shard.mutex);
    forget_expired(shard, now_ms);
    if (entries_.load(std::memory_order_relaxed) < max_entries_ || forget_oldest(shard))
      return insert(shard, notice, now_ms);
  }
  // Full, and this shard has nothing ended to give up: another shard may.
  if (!make_room(shard)) {
    untracked_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(shard.mutex);
  insert(shard, notice, now_ms);
}

// One ended entry of another shard forgotten, one lock at a time; false: every entry is live.
bool MessageStatusBook::make_room(Shard& own) {
  for (Shard& shard : shards_) {
    if (ended_.load(std::memory_order_relaxed) == 0) return false;
    if (&shard == &own) continue;
    std::lock_guard lock(shard.mutex);
    if (forget_oldest(shard)) return true;
  }
  return false;
}

void MessageStatusBook::insert(Shard& shard, const StoredNotice& notice, std::uint64_t now_ms) {
  auto node = shard.devices.find(notice.device);
  if (node == shard.devices.end()) {  // a device id is copied once, not at every message
    node = shard.devices.try_emplace(std::string(notice.device)).first;
    node->second.name = node->first;
  }
  Device& device = node->second;
  if (notice.replaced) replace(shard, device, notice, now_ms);
  auto& entries = device.entries;
  // Seqs mostly come in order; two senders' stores may finish the other way round.
  auto at = entries.end();
  if (!entries.empty() && entries.back().seq >= notice.seq) {
    at = std::lower_bound(entries.begin(), entries.end(), notice.seq,
                          [](const Entry& entry, std::uint64_t s) { return entry.seq < s; });
    if (at->seq == notice.seq) return;  // told twice: the first time counts
  }
  const auto index = static_cast<std::size_t>(at - entries.begin());
  device.head = std::min(device.head, index);  // before the forgotten ones it was after
  Entry& entry = *entries.insert(at, Entry{});
  entries_.fetch_add(1, std::memory_order_relaxed);
  entry.seq = notice.seq;
  entry.queued_at = now_ms;
  entry.expires_at = notice.expires_at_ms;
  entry.key_hash = key_hash(notice.conflation_key);
  std::memcpy(entry.id.data(), notice.message_id.data(),
              std::min(notice.message_id.size(), kIdBytes));
  *shard.ids.try_insert(id_hash(entry.id), RefersTo{entry.id}).first = IdRef{&device, notice.seq};
  // Its device acked past it before the dispatcher got here (a connection read it back from the
  // store at once): it is delivered.
  if (notice.seq <= device.acked_through)
    end(shard, device, entry, MessageState::acked, {}, now_ms);
}

// The one live message of the device with the same key (the store keeps one per key), newest
// first: live entries are the last ones of an online device.
void MessageStatusBook::replace(Shard& shard, Device& device, const StoredNotice& notice,
                                std::uint64_t now_ms) {
  const std::uint64_t hash = key_hash(notice.conflation_key);
  for (auto it = device.entries.rbegin(); it != device.entries.rend(); ++it) {
    if (it->seq <= device.acked_through) return;  // acked() ended every one before
    if (it->seq < notice.seq && live(it->state) && it->key_hash == hash)
      return end(shard, device, *it, MessageState::replaced, {}, now_ms);
  }
}

void MessageStatusBook::sent(std::string_view device_id, std::uint64_t seq, std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  Device* device = device_in(shard, device_id);
  Entry* entry = device ? entry_of(*device, seq) : nullptr;
  if (entry == nullptr || entry->state != MessageState::queued) return;
  entry->state = MessageState::sent;
  entry->sent_at = now_ms;
}

void MessageStatusBook::acked(std::string_view device_id, std::uint64_t through_seq,
                              std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  forget_expired(shard, now_ms);
  Device* device = device_in(shard, device_id);
  if (device == nullptr || through_seq <= device->acked_through) return;
  // Only what this ack adds: older entries were settled by earlier acks.
  auto& entries = device->entries;
  const std::uint64_t from = device->acked_through;
  device->acked_through = through_seq;
  for (auto it = first_after(entries, from); it != entries.end() && it->seq <= through_seq; ++it) {
    if (!live(it->state)) continue;
    if (expired_unsent(it->state, it->expires_at, now_ms))
      end(shard, *device, *it, MessageState::expired, {}, it->expires_at);
    else
      end(shard, *device, *it, MessageState::acked, {}, now_ms);
  }
}

void MessageStatusBook::ended(std::string_view device_id, std::uint64_t seq, MessageState state,
                              std::string_view reason, std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  forget_expired(shard, now_ms);
  Device* device = device_in(shard, device_id);
  Entry* entry = device ? entry_of(*device, seq) : nullptr;
  if (entry == nullptr || !live(entry->state)) return;
  end(shard, *device, *entry, state, reason, now_ms);
}

void MessageStatusBook::end(Shard& shard, Device& device, Entry& entry, MessageState state,
                            std::string_view reason, std::uint64_t now_ms) {
  entry.state = state;
  entry.ended_at = now_ms;
  entry.reason = reason.empty() ? 0 : reason_code(reason);
  shard.ended.push_back({now_ms, &device, entry.seq});
  ended_.fetch_add(1, std::memory_order_relaxed);
}

bool MessageStatusBook::forget_oldest(Shard& shard) {
  if (shard.ended.empty()) return false;
  const Ended oldest = shard.ended.front();
  shard.ended.pop_front();
  Device& device = *oldest.device;
  auto& entries = device.entries;
  // Entries mostly end in seq order: the first one not yet forgotten first.
  Entry* entry = device.head < entries.size() && entries[device.head].seq == oldest.seq
                     ? &entries[device.head]
                     : entry_of(device, oldest.seq);
  if (entry != nullptr) {
    entry->forgotten = true;
    ++device.forgotten;
    const std::uint64_t seq = entry->seq;
    if (IdRef* ref = shard.ids.find(id_hash(entry->id), [&](const IdRef& r) {
          return r.device == &device && r.seq == seq;
        }))
      shard.ids.erase(ref);
  }
  entries_.fetch_sub(1, std::memory_order_relaxed);
  ended_.fetch_sub(1, std::memory_order_relaxed);
  while (device.head < entries.size() && entries[device.head].forgotten) ++device.head;
  // Removed once they are half the vector: each forgotten entry is moved about once.
  if (device.forgotten * 2 > entries.size()) {
    std::erase_if(entries, [](const Entry& e) { return e.forgotten; });
    if (entries.capacity() > 4 * entries.size()) entries.shrink_to_fit();
    device.forgotten = 0;
    device.head = 0;
  }
  // Its last entry gone: nothing refers to the device any more (only ended entries are ever
  // forgotten, and each is in `ended` once).
  if (entries.empty()) shard.devices.erase(shard.devices.find(device.name));
  return true;
}

// Entries end in about the order of their times, so only the front needs looking at.
void MessageStatusBook::forget_expired(Shard& shard, std::uint64_t now_ms) {
  while (!shard.ended.empty() && shard.ended.front().ended_at + window_ms_ <= now_ms)
    forget_oldest(shard);
}

void MessageStatusBook::expire_unsent(Shard& shard, std::uint64_t now_ms) {
  for (auto& [name, device] : shard.devices)
    for (Entry& entry : device.entries)
      if (expired_unsent(entry.state, entry.expires_at, now_ms))
        end(shard, device, entry, MessageState::expired, {}, entry.expires_at);
}

void MessageStatusBook::sweep(std::uint64_t now_ms) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    expire_unsent(shard, now_ms);
    forget_expired(shard, now_ms);
  }
}

void MessageStatusBook::apply(const MessageNotice& notice, std::uint64_t now_ms) {
  const std::uint64_t at = notice.at_ms != 0 ? notice.at_ms : now_ms;
  using Kind = MessageNotice::Kind;
  switch (notice.kind) {
    case Kind::Expired:
      return ended(notice.device, notice.seq, MessageState::expired, {}, at);
    case Kind::Dropped:
      return ended(notice.device, notice.seq, MessageState::dropped, notice.reason, at);
    case Kind::Replaced:
      return ended(notice.device, notice.seq, MessageState::replaced, {}, at);
    case Kind::Undelivered:
      if (notice.cancelled)
        ended(notice.device, notice.seq, MessageState::dropped, "cancelled", at);
      return;
  }
}

std::uint8_t MessageStatusBook::reason_code(std::string_view reason) {
  std::lock_guard lock(reasons_mutex_);
  for (std::size_t code = 1; code < reasons_.size(); ++code)
    if (reasons_[code] == reason) return static_cast<std::uint8_t>(code);
  if (reasons_.size() > kMaxReasons) return kMaxReasons + 1;
  reasons_.emplace_back(reason);
  return static_cast<std::uint8_t>(reasons_.size() - 1);
}

std::string MessageStatusBook::reason_name(std::uint8_t code) {
  std::lock_guard lock(reasons_mutex_);
  return code < reasons_.size() ? reasons_[code] : "other";
}

std::optional<MessageStatus> MessageStatusBook::find(std::string_view message_id,
                                                     std::uint64_t now_ms) {
  if (message_id.size() != kIdBytes) return std::nullopt;
  Id id;
  std::memcpy(id.data(), message_id.data(), kIdBytes);
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    forget_expired(shard, now_ms);
    const IdRef* found = shard.ids.find(id_hash(id), RefersTo{id});
    if (found == nullptr) continue;
    Device& device = *found->device;
    Entry* entry = entry_of(device, found->seq);
    if (entry == nullptr) continue;  // cannot happen: an entry leaves the index when forgotten
    if (expired_unsent(entry->state, entry->expires_at, now_ms))
      end(shard, device, *entry, MessageState::expired, {}, entry->expires_at);
    return MessageStatus{
        std::string(device.name), entry->seq,     entry->state,   reason_name(entry->reason),
        entry->queued_at,         entry->sent_at, entry->ended_at};
  }
  return std::nullopt;
}

}  // namespace kite::server
