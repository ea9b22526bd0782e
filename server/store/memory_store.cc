// The memory Backend behind make_memory_store(): same rules as RocksDB, nothing survives a restart.
//
// Rules: one mutex guards all devices (QueueEngine already serialises each device; this one only
// keeps the maps whole). Writes apply at once, so commit() cannot fail and reads see them.
// Idempotency entries are swept per device whenever that device's map has doubled since the last
// sweep, so keys that are never seen again cannot grow memory without bound.
#include <map>
#include <mutex>
#include <set>

#include "store/queue_engine.h"
#include "store/random_ids.h"
#include "store/record_codec.h"

namespace kite::server::store {
namespace {

struct OwnedMessage {
  std::uint64_t enqueued_at_ms, expires_at_ms;
  std::string message_id, topic, content_type, conflation_key, payload;
};

struct MemoryDevice {
  DeviceMeta meta;
  std::map<std::uint64_t, OwnedMessage> messages;
  std::map<std::string, ConflationEntry, std::less<>> conflation;
  std::map<std::string, IdempotencyEntry, std::less<>> idempotency;
  std::size_t sweep_idempotency_at = 64;
};

class Devices {
 public:
  // Runs `use` on the device under the lock; a missing device is created for writes, nullptr for
  // reads (reading must not create devices).
  template <typename Use>
  auto with(std::string_view device, bool create, Use&& use) {
    std::lock_guard lock(mutex_);
    auto it = devices_.find(device);
    if (it == devices_.end() && create) it = devices_.emplace(device, MemoryDevice{}).first;
    return use(it == devices_.end() ? nullptr : &it->second);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, MemoryDevice, std::less<>> devices_;
};

// The deadline index, in the RocksDB key format (record_codec.h), so both sort alike.
struct Deadlines {
  std::mutex mutex;
  std::map<std::string, std::string> entries;  // guarded by mutex
};

template <typename Map>
auto find(const Map& map, std::string_view key) -> std::optional<typename Map::mapped_type> {
  auto it = map.find(key);
  return it == map.end() ? std::nullopt : std::optional(it->second);
}

class MemoryTransaction final : public Transaction {
 public:
  MemoryTransaction(Devices& devices, Deadlines& deadlines)
      : devices_(devices), deadlines_(deadlines) {}

  DeviceMeta meta(std::string_view device) override {
    return devices_.with(device, false, [](MemoryDevice* d) { return d ? d->meta : DeviceMeta{}; });
  }
  std::optional<ConflationEntry> conflation(std::string_view device,
                                            std::string_view key) override {
    return devices_.with(device, false, [&](MemoryDevice* d) {
      return d ? find(d->conflation, key) : std::nullopt;
    });
  }
  std::optional<IdempotencyEntry> idempotency(std::string_view device,
                                              std::string_view key) override {
    return devices_.with(device, false, [&](MemoryDevice* d) {
      return d ? find(d->idempotency, key) : std::nullopt;
    });
  }
  void scan(std::string_view device, std::uint64_t after_seq,
            const std::function<bool(const MessageView&)>& visit) override {
    devices_.with(device, false, [&](MemoryDevice* d) {
      if (!d) return;
      for (auto it = d->messages.upper_bound(after_seq); it != d->messages.end(); ++it) {
        const OwnedMessage& m = it->second;
        if (!visit({it->first, m.enqueued_at_ms, m.expires_at_ms, m.message_id, m.topic,
                    m.content_type, m.conflation_key, m.payload})) {
          return;
        }
      }
    });
  }

  void put_meta(std::string_view device, const DeviceMeta& meta) override {
    devices_.with(device, true, [&](MemoryDevice* d) { d->meta = meta; });
  }
  void put_message(std::string_view device, const MessageView& m) override {
    devices_.with(device, true, [&](MemoryDevice* d) {
      d->messages[m.seq] = {m.enqueued_at_ms,
                            m.expires_at_ms,
                            std::string(m.message_id),
                            std::string(m.topic),
                            std::string(m.content_type),
                            std::string(m.conflation_key),
                            std::string(m.payload)};
    });
  }
  void delete_message(std::string_view device, std::uint64_t seq) override {
    devices_.with(device, true, [&](MemoryDevice* d) { d->messages.erase(seq); });
  }
  void put_conflation(std::string_view device, std::string_view key,
                      const ConflationEntry& entry) override {
    devices_.with(device, true, [&](MemoryDevice* d) {
      d->conflation.insert_or_assign(std::string(key), entry);
    });
  }
  void delete_conflation(std::string_view device, std::string_view key) override {
    devices_.with(device, true, [&](MemoryDevice* d) {
      if (auto it = d->conflation.find(key); it != d->conflation.end()) d->conflation.erase(it);
    });
  }
  void put_idempotency(std::string_view device, std::string_view key, const IdempotencyEntry& entry,
                       std::uint64_t now_ms) override {
    devices_.with(device, true, [&](MemoryDevice* d) {
      d->idempotency.insert_or_assign(std::string(key), entry);
      if (d->idempotency.size() < d->sweep_idempotency_at) return;
      std::erase_if(d->idempotency,
                    [&](const auto& item) { return item.second.expires_at_ms <= now_ms; });
      d->sweep_idempotency_at = std::max<std::size_t>(64, 2 * d->idempotency.size());
    });
  }

  void put_deadline(const Deadline& deadline) override {
    std::lock_guard lock(deadlines_.mutex);
    deadlines_.entries[records::deadline_key(deadline)] = records::encode_deadline(deadline);
  }
  void delete_deadline(const Deadline& deadline) override {
    std::lock_guard lock(deadlines_.mutex);
    deadlines_.entries.erase(records::deadline_key(deadline));
  }

  bool commit(bool, std::string&) override { return true; }

 private:
  Devices& devices_;
  Deadlines& deadlines_;
};

class MemoryBackend final : public Backend {
 public:
  std::unique_ptr<Transaction> begin() override {
    return std::make_unique<MemoryTransaction>(devices_, deadlines_);
  }
  std::uint64_t epoch() const override { return epoch_; }
  void totals(std::uint64_t& messages, std::uint64_t& bytes) override { messages = bytes = 0; }
  bool put_member(std::string_view group, std::string_view device, bool member, bool,
                  std::string&) override {
    std::lock_guard lock(members_mutex_);
    std::pair<std::string, std::string> key{group, device};
    if (member)
      members_.insert(std::move(key));
    else
      members_.erase(key);
    return true;
  }
  void scan_deadlines(const Deadline* after, std::uint64_t through_ms, std::size_t max,
                      const std::function<void(const Deadline&)>& visit) override {
    std::vector<std::pair<std::string, std::string>> due;  // copied: visit() may write deadlines
    {
      std::lock_guard lock(deadlines_.mutex);
      const auto end = deadlines_.entries.lower_bound(records::deadline_key_prefix(through_ms + 1));
      auto it = after ? deadlines_.entries.upper_bound(records::deadline_key(*after))
                      : deadlines_.entries.begin();
      for (; it != end && due.size() < max; ++it) due.emplace_back(it->first, it->second);
    }
    for (const auto& [key, value] : due) {
      Deadline deadline;
      if (records::decode_deadline(key, value, deadline)) visit(deadline);
    }
  }
  void scan_members(const std::function<void(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(members_mutex_);
    for (const auto& [group, device] : members_) visit(group, device);
  }
  bool put_consumer_group(std::string_view group, std::string_view cursors, std::string&) override {
    std::lock_guard lock(members_mutex_);
    consumer_groups_[std::string(group)] = cursors;
    return true;
  }
  void scan_consumer_groups(
      const std::function<void(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(members_mutex_);
    for (const auto& [group, cursors] : consumer_groups_) visit(group, cursors);
  }

 private:
  std::mutex members_mutex_;
  std::set<std::pair<std::string, std::string>> members_;
  std::map<std::string, std::string> consumer_groups_;  // guarded by members_mutex_ too
  const std::uint64_t epoch_ = new_epoch();
  Devices devices_;
  Deadlines deadlines_;
};

}  // namespace
}  // namespace kite::server::store

namespace kite::server {

std::unique_ptr<MessageStore> make_memory_store(const StoreOptions& options) {
  return std::make_unique<store::QueueEngine>(std::make_unique<store::MemoryBackend>(), options);
}

}  // namespace kite::server
