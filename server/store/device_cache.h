// What QueueEngine remembers about recently used devices, so that the hot path (enqueue for a
// device that is keeping up, then its ack) needs no storage read at all: the device's meta record,
// and while the queue is short, an index of what is queued (seq, size, whether it holds a
// conflation key). Storage stays the truth; the cache only saves reading it back.
//
// Rules:
// - One DeviceCache per lock stripe, used only under that stripe's lock.
// - Only writes (enqueue, ack, uplink state) bring a device in: an idle connected device costs
//   the cache nothing.
// - An entry is exactly what storage holds once the current transaction commits. If a transaction
//   fails, every device it touched is evicted and will be read again.
// - The index is complete or absent: `complete` means it lists every queued message. It is
//   complete when a device is first read with an empty queue, and stays so while its queue is
//   shorter than kIndexLimit; a longer queue drops the index (an offline backlog costs disk, not
//   RAM) until the queue empties again.
// - Entries are evicted (arbitrary ones first) past kMaxDevices, only by trim(), which a caller
//   runs before it takes references, so no reference held during an operation dangles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/queue_backend.h"

namespace kite::server::store {

struct QueuedEntry {
  std::uint64_t seq = 0;
  std::uint32_t bytes = 0;
  bool keyed = false;  // holds a conflation key (its record must go with it)
};

class CachedDevice {
 public:
  static constexpr std::size_t kIndexLimit = 1024;

  DeviceMeta meta;

  bool index_complete() const { return complete_; }
  // The queued messages in seq order (valid while complete).
  std::span<const QueuedEntry> queued() const {
    return {index_.data() + head_, index_.size() - head_};
  }
  void start_index(bool queue_empty);  // after a load from storage
  // An emptied queue is fully known again: call whenever meta.queued_messages may have reached 0.
  void reindex_if_empty() {
    if (!complete_ && meta.queued_messages == 0) start_index(true);
  }
  void append(const QueuedEntry& entry);
  void erase(std::uint64_t seq);
  void pop_through(std::uint64_t seq);  // drops every entry with seq <= `seq`

 private:
  void drop_index();

  std::vector<QueuedEntry> index_;
  std::size_t head_ = 0;  // entries before it are gone (popped; compacted now and then)
  bool complete_ = false;
};

class DeviceCache {
 public:
  static constexpr std::size_t kMaxDevices = 16'384;  // per stripe: about 1 M devices in all

  CachedDevice* find(std::string_view device);
  CachedDevice& insert(std::string_view device, const DeviceMeta& meta);
  void erase(std::string_view device);
  void trim();
  void clear() { devices_.clear(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, CachedDevice, Hash, std::equal_to<>> devices_;
};

}  // namespace kite::server::store
