#include "store/device_cache.h"

#include <algorithm>

namespace kite::server::store {

void CachedDevice::start_index(bool queue_empty) {
  drop_index();
  complete_ = queue_empty;
}

void CachedDevice::append(const QueuedEntry& entry) {
  if (!complete_) return;
  if (index_.size() - head_ >= kIndexLimit) return drop_index();
  index_.push_back(entry);
}

void CachedDevice::erase(std::uint64_t seq) {
  if (!complete_) return;
  auto first = index_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(first, index_.end(), seq,
                             [](const QueuedEntry& e, std::uint64_t s) { return e.seq < s; });
  if (it != index_.end() && it->seq == seq) index_.erase(it);
}

void CachedDevice::pop_through(std::uint64_t seq) {
  if (!complete_) return;
  while (head_ < index_.size() && index_[head_].seq <= seq) ++head_;
  if (head_ == index_.size()) {
    index_.clear();
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > index_.size()) {  // compact: amortised O(1) per pop
    index_.erase(index_.begin(), index_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void CachedDevice::drop_index() {
  std::vector<QueuedEntry>().swap(index_);
  head_ = 0;
  complete_ = false;
}

CachedDevice* DeviceCache::find(std::string_view device) {
  auto it = devices_.find(device);
  return it == devices_.end() ? nullptr : &it->second;
}

CachedDevice& DeviceCache::insert(std::string_view device, const DeviceMeta& meta) {
  CachedDevice& entry = devices_[std::string(device)];
  entry.meta = meta;
  entry.start_index(meta.queued_messages == 0);
  return entry;
}

void DeviceCache::erase(std::string_view device) {
  if (auto it = devices_.find(device); it != devices_.end()) devices_.erase(it);
}

void DeviceCache::trim() {
  while (devices_.size() >= kMaxDevices) devices_.erase(devices_.begin());
}

}  // namespace kite::server::store
