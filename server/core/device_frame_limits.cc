// DeviceFrameLimits: see device_frame_limits.h.
#include "core/device_frame_limits.h"

#include <fmt/format.h>

#include <functional>

namespace kite::server {

DeviceFrameLimits::Shard& DeviceFrameLimits::shard(std::string_view device) const {
  return shards_[std::hash<std::string_view>{}(device) % shards_.size()];
}

void DeviceFrameLimits::remember(std::string_view device, std::uint32_t max_frame) {
  Shard& s = shard(device);
  std::lock_guard lock(s.mutex);
  auto it = s.limits.find(std::string(device));
  if (max_frame >= roomy_) {
    if (it != s.limits.end()) {
      s.limits.erase(it);
      size_.fetch_sub(1, std::memory_order_relaxed);
    }
    return;
  }
  if (it != s.limits.end()) {
    it->second = max_frame;
  } else if (size_.load(std::memory_order_relaxed) < max_devices_) {
    s.limits.emplace(device, max_frame);
    size_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::optional<std::uint32_t> DeviceFrameLimits::limit(std::string_view device) const {
  Shard& s = shard(device);
  std::lock_guard lock(s.mutex);
  auto it = s.limits.find(std::string(device));
  if (it == s.limits.end()) return std::nullopt;
  return it->second;
}

std::string frame_refusal(const DeviceFrameLimits& limits, std::string_view device,
                          std::uint64_t payload, std::uint64_t topic, std::uint64_t content_type,
                          std::uint64_t conflation_key) {
  const auto limit = limits.limit(device);
  const std::uint64_t needs = publish_size_floor(payload, topic, content_type, conflation_key);
  if (!limit || needs <= *limit) return {};
  return fmt::format(
      "the device accepts frames of at most {} bytes (its last hello) and this message needs at "
      "least {}; it could never be delivered",
      *limit, needs);
}

}  // namespace kite::server
