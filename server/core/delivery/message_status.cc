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

// The first entry past `seq`. An online device acks what it was just sent, so this is near the
// end: walked back from there (a few steps, none of them a cache miss down the tree) unless the
// ack is deep in a backlog, where the tree's search is the cheaper.
template <typename Entries>
typename Entries::iterator first_after(Entries& entries, std::uint64_t seq) {
  constexpr int kWalk = 8;
  auto it = entries.end();
  for (int step = 0; step < kWalk && it != entries.begin(); ++step) {
    if (std::prev(it)->first <= seq) return it;
    --it;
  }
  return it == entries.begin() ? it : entries.upper_bound(seq);
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
  auto [node, fresh] = shard.devices.try_emplace(std::string(notice.device));
  Device& device = node->second;
  if (fresh) device.name = node->first;
  if (notice.replaced) {  // the one live message of the device with the same key (store rule)
    const std::uint64_t hash = key_hash(notice.conflation_key);
    // Live entries are all past the device's last ack (acked() ends the others).
    for (auto it = device.entries.upper_bound(device.acked_through);
         it != device.entries.end() && it->first < notice.seq; ++it)
      if (live(it->second.state) && it->second.key_hash == hash) {
        end(shard, device, it->first, it->second, MessageState::replaced, {}, now_ms);
        break;
      }
  }
  // Seqs mostly come in order: at the end, the insertion does not walk the tree.
  const bool last = device.entries.empty() || device.entries.rbegin()->first < notice.seq;
  const std::size_t before = device.entries.size();
  auto at = last ? device.entries.emplace_hint(device.entries.end(), notice.seq, Entry{})
                 : device.entries.try_emplace(notice.seq).first;
  if (device.entries.size() == before) return;  // told twice: the first time counts
  entries_.fetch_add(1, std::memory_order_relaxed);
  Entry& entry = at->second;
  entry.queued_at = now_ms;
  entry.expires_at = notice.expires_at_ms;
  entry.key_hash = key_hash(notice.conflation_key);
  std::memcpy(entry.id.data(), notice.message_id.data(),
              std::min(notice.message_id.size(), kIdBytes));
  // Its device acked past it before the dispatcher got here (a connection read it back from the
  // store at once): it is delivered.
  if (notice.seq <= device.acked_through)
    end(shard, device, notice.seq, entry, MessageState::acked, {}, now_ms);
}

void MessageStatusBook::sent(std::string_view device_id, std::uint64_t seq, std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  Device* device = device_in(shard, device_id);
  if (device == nullptr) return;
  // An online device is sent what was just stored: the last entry, reached without a walk.
  auto it = device->entries.empty() || device->entries.rbegin()->first != seq
                ? device->entries.find(seq)
                : std::prev(device->entries.end());
  if (it == device->entries.end() || it->second.state != MessageState::queued) return;
  it->second.state = MessageState::sent;
  it->second.sent_at = now_ms;
}

void MessageStatusBook::acked(std::string_view device_id, std::uint64_t through_seq,
                              std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  forget_expired(shard, now_ms);
  Device* device = device_in(shard, device_id);
  if (device == nullptr || through_seq <= device->acked_through) return;
  // Only what this ack adds: older entries were settled by earlier acks.
  auto it = first_after(device->entries, device->acked_through);
  device->acked_through = through_seq;
  for (; it != device->entries.end() && it->first <= through_seq; ++it) {
    Entry& entry = it->second;
    if (!live(entry.state)) continue;
    if (expired_unsent(entry.state, entry.expires_at, now_ms))
      end(shard, *device, it->first, entry, MessageState::expired, {}, entry.expires_at);
    else
      end(shard, *device, it->first, entry, MessageState::acked, {}, now_ms);
  }
}

void MessageStatusBook::ended(std::string_view device_id, std::uint64_t seq, MessageState state,
                              std::string_view reason, std::uint64_t now_ms) {
  Shard& shard = shard_of(device_id);
  std::lock_guard lock(shard.mutex);
  forget_expired(shard, now_ms);
  Device* device = device_in(shard, device_id);
  if (device == nullptr) return;
  auto it = device->entries.find(seq);
  if (it == device->entries.end() || !live(it->second.state)) return;
  end(shard, *device, seq, it->second, state, reason, now_ms);
}

void MessageStatusBook::end(Shard& shard, Device& device, std::uint64_t seq, Entry& entry,
                            MessageState state, std::string_view reason, std::uint64_t now_ms) {
  entry.state = state;
  entry.ended_at = now_ms;
  entry.reason_length = static_cast<std::uint8_t>(std::min(reason.size(), kReasonBytes));
  std::memcpy(entry.reason.data(), reason.data(), entry.reason_length);
  shard.ended.push_back({now_ms, &device, seq});
  ended_.fetch_add(1, std::memory_order_relaxed);
}

bool MessageStatusBook::forget_oldest(Shard& shard) {
  if (shard.ended.empty()) return false;
  const Ended oldest = shard.ended.front();
  shard.ended.pop_front();
  Device& device = *oldest.device;
  device.entries.erase(oldest.seq);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  ended_.fetch_sub(1, std::memory_order_relaxed);
  // Its last entry gone: nothing refers to the device any more (only ended entries are ever
  // forgotten, and each is in `ended` once).
  if (device.entries.empty()) shard.devices.erase(shard.devices.find(device.name));
  return true;
}

// Entries end in about the order of their times, so only the front needs looking at.
void MessageStatusBook::forget_expired(Shard& shard, std::uint64_t now_ms) {
  while (!shard.ended.empty() && shard.ended.front().ended_at + window_ms_ <= now_ms)
    forget_oldest(shard);
}

void MessageStatusBook::expire_unsent(Shard& shard, std::uint64_t now_ms) {
  for (auto& [name, device] : shard.devices)
    for (auto& [seq, entry] : device.entries)
      if (expired_unsent(entry.state, entry.expires_at, now_ms))
        end(shard, device, seq, entry, MessageState::expired, {}, entry.expires_at);
}

void MessageStatusBook::sweep(std::uint64_t now_ms) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    expire_unsent(shard, now_ms);
    forget_expired(shard, now_ms);
  }
}

std::optional<MessageStatus> MessageStatusBook::find(std::string_view message_id,
                                                     std::uint64_t now_ms) {
  if (message_id.size() != kIdBytes) return std::nullopt;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    forget_expired(shard, now_ms);
    for (auto& [name, device] : shard.devices) {
      for (auto& [seq, entry] : device.entries) {
        if (std::memcmp(entry.id.data(), message_id.data(), kIdBytes) != 0) continue;
        if (expired_unsent(entry.state, entry.expires_at, now_ms))
          end(shard, device, seq, entry, MessageState::expired, {}, entry.expires_at);
        return MessageStatus{name,
                             seq,
                             entry.state,
                             std::string(entry.reason.data(), entry.reason_length),
                             entry.queued_at,
                             entry.sent_at,
                             entry.ended_at};
      }
    }
  }
  return std::nullopt;
}

}  // namespace kite::server
