// MessageStatusBook: where each stored (QoS 1) message stands, for GET /v1/messages/{id}:
// queued -> sent -> acked, or expired, dropped (with a reason) or replaced (conflation), with the
// times of each step, kept for a window after the end state.
//
//   queued()  the dispatcher, once the store has the message (the only way one is stored)
//   sent()    the device's connection, once its session took the message (first send counts)
//   acked()   the device's cumulative ack: every live message of the device up to that seq
//   ended()   expired, dropped or replaced, from whoever learns it (the store's notices,
//             a connection that finds a message too large for its device)
//   find()    by message id: one look-up in each shard's id index (ids are random, so any shard
//             may hold it)
//
// Rules it keeps:
//  - sharded by device (kShards, one mutex each, never held across I/O or another shard's lock):
//    the calls of the delivery path are one hash-map lookup and a touch of the device's newest
//    entry under one shard lock, and allocate only when a device's vector of entries grows;
//  - an end state is final: a later ack or end of the same message changes nothing;
//  - an entry in an end state is forgotten `window_ms` after it ended; live ones are kept until
//    they end (or their TTL passes without a send: then they are expired at that time);
//  - at most `max_entries` entries: the oldest ended ones of the device's shard are forgotten
//    first, then those of other shards; when every entry is live, a new message is not tracked
//    (untracked() counts them);
//  - in memory only: a restart forgets every status.
//
// Thread-safe: the admin API's thread and every worker call it at once.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/probe_table.h"
#include "store/message_store.h"

namespace kite::server {

enum class MessageState : std::uint8_t { queued, sent, acked, expired, dropped, replaced };

// "queued", "sent", ... as the API spells it.
std::string_view state_name(MessageState state);

// A stored message, as the dispatcher learns it from the store's answer.
struct StoredNotice {
  std::string_view message_id;
  std::string_view device;
  std::uint64_t seq = 0;
  std::uint64_t expires_at_ms = 0;  // 0: no TTL
  std::string_view conflation_key;  // empty: none
  bool replaced = false;            // it replaced the device's live message with the same key
};

// What find() answers. Times are Unix ms; 0: not (yet) reached.
struct MessageStatus {
  std::string device;
  std::uint64_t seq = 0;
  MessageState state = MessageState::queued;
  std::string reason;  // dropped: why
  std::uint64_t queued_at = 0, sent_at = 0, ended_at = 0;
};

class MessageStatusBook {
 public:
  static constexpr std::size_t kShards = 64;
  static constexpr std::size_t kIdBytes = 26;  // the store's message ids (random_ids.h)
  // Distinct reasons kept (they are a handful of names); later new ones read "other".
  static constexpr std::size_t kMaxReasons = 254;

  MessageStatusBook(std::uint64_t window_ms, std::uint64_t max_entries);
  MessageStatusBook(const MessageStatusBook&) = delete;
  MessageStatusBook& operator=(const MessageStatusBook&) = delete;

  void queued(const StoredNotice& notice, std::uint64_t now_ms);
  void sent(std::string_view device, std::uint64_t seq, std::uint64_t now_ms);
  void acked(std::string_view device, std::uint64_t through_seq, std::uint64_t now_ms);
  // `state` is expired, dropped or replaced; `reason` is kept for dropped.
  void ended(std::string_view device, std::uint64_t seq, MessageState state,
             std::string_view reason, std::uint64_t now_ms);

  // What the store reports of a message it removed undelivered (its notices, taken by the
  // deadline sweeper): expired, dropped, replaced, or dropped "cancelled" for a fallback
  // deadline that cancels. An undelivered notice that keeps the message changes nothing.
  void apply(const MessageNotice& notice, std::uint64_t now_ms);

  std::optional<MessageStatus> find(std::string_view message_id, std::uint64_t now_ms);
  // Forgets what the window has passed and expires live entries whose TTL passed unsent, in
  // every shard (the calls above only tidy the shard they touch).
  void sweep(std::uint64_t now_ms);

  std::uint64_t window_ms() const { return window_ms_; }
  std::uint64_t max_entries() const { return max_entries_; }
  std::size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  std::uint64_t untracked() const { return untracked_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::uint64_t seq = 0;
    std::uint64_t queued_at = 0, sent_at = 0, ended_at = 0, expires_at = 0;
    std::uint64_t key_hash = 0;  // of the conflation key; 0: none
    MessageState state = MessageState::queued;
    bool forgotten = false;   // its window passed; removed once no live entry is before it
    std::uint8_t reason = 0;  // in reasons_; 0: none
    std::array<char, kIdBytes> id{};
  };
  // A device's entries in seq order, in a vector: a message is almost always the newest, so
  // the calls of the delivery path touch its end (no tree to walk, no node to allocate).
  // Forgotten entries stay until they are half the vector (a live one before them, or just
  // not yet enough of them), then go at once.
  struct Device {
    std::string_view name;  // the key of its node in Shard::devices (stable)
    std::vector<Entry> entries;
    std::size_t forgotten = 0;        // entries forgotten, still in `entries`
    std::size_t head = 0;             // entries before it are all forgotten
    std::uint64_t acked_through = 0;  // the device's highest cumulative ack
  };
  struct Ended {  // in the order entries ended: the oldest is forgotten first
    std::uint64_t ended_at;
    Device* device;
    std::uint64_t seq;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Id = std::array<char, kIdBytes>;
  static std::uint64_t id_hash(const Id& id) {
    return std::hash<std::string_view>{}(std::string_view(id.data(), id.size()));
  }
  struct IdRef {  // where an entry is: devices are nodes (stable), entries move in their vector
    Device* device = nullptr;
    std::uint64_t seq = 0;
  };
  // Which IdRef is `id`'s: the entry it names holds the id (the index keeps no copy of it).
  struct RefersTo {
    const Id& id;
    bool operator()(const IdRef& ref) const {
      const Entry* entry = entry_of(*ref.device, ref.seq);
      return entry != nullptr && entry->id == id;
    }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Device, Hash, std::equal_to<>> devices;
    std::deque<Ended> ended;
    // Every entry not forgotten, by message id: GET /v1/messages/{id} is a look-up per shard,
    // not a walk over every entry (a backend may ask about each message it sends). One probe
    // table, no node per entry: with a million statuses kept (the default cap, full after a few
    // seconds of a busy server), a node per message and its chain walk were 5 % of kited's CPU.
    ProbeTable<IdRef> ids;
  };

  Shard& shard_of(std::string_view device);
  Device* device_in(Shard& shard, std::string_view device);
  static Entry* entry_of(Device& device, std::uint64_t seq);
  bool make_room(Shard& own);
  bool forget_oldest(Shard& shard);
  void forget_expired(Shard& shard, std::uint64_t now_ms);
  void end(Shard& shard, Device& device, Entry& entry, MessageState state, std::string_view reason,
           std::uint64_t now_ms);
  void insert(Shard& shard, const StoredNotice& notice, std::uint64_t now_ms);
  void replace(Shard& shard, Device& device, const StoredNotice& notice, std::uint64_t now_ms);
  void expire_unsent(Shard& shard, std::uint64_t now_ms);

  std::uint8_t reason_code(std::string_view reason);
  std::string reason_name(std::uint8_t code);

  const std::uint64_t window_ms_;
  const std::uint64_t max_entries_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> entries_{0};
  std::atomic<std::size_t> ended_{0};  // of entries_: those in an end state
  std::atomic<std::uint64_t> untracked_{0};
  // A reason in every entry would take a string each: 80 bytes an entry instead of 112 is
  // 32 MB less at the default cap. Taken after a shard's lock, never before.
  std::mutex reasons_mutex_;
  std::vector<std::string> reasons_{""};
};

}  // namespace kite::server
