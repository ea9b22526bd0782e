// The largest frame each device said it accepts (Hello.max_frame, clamped by the session), kept
// so that a message no device connection could ever carry is refused when it is sent, not
// accepted with 202 and then dropped.
//
// Rules:
// - Only limits below what kited itself would send are kept (`roomy`): a device that accepts
//   every message the API takes costs nothing here.
// - In memory: after a restart a device's limit is unknown until it connects again; a message
//   too large for it is then dead-lettered at delivery (connection_delivery.cc).
// - At most `max_devices` entries: past it, new limits are not kept (the dead-letter path still
//   holds), so a fleet of tiny devices cannot grow this without bound.
// - Thread-safe: one small lock per shard, held for a hash-map operation only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kite::server {

class DeviceFrameLimits {
 public:
  DeviceFrameLimits(std::uint32_t roomy, std::size_t max_devices)
      : roomy_(roomy), max_devices_(max_devices) {}

  // The device announced `max_frame` in the hello of a session that opened.
  void remember(std::string_view device, std::uint32_t max_frame);
  // The device's known limit, if it is below `roomy`.
  std::optional<std::uint32_t> limit(std::string_view device) const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::uint32_t> limits;
  };
  Shard& shard(std::string_view device) const;

  const std::uint32_t roomy_;
  const std::size_t max_devices_;
  mutable std::array<Shard, 16> shards_;
  std::atomic<std::size_t> size_{0};
};

// A lower bound of a stored message's Publish body: what must fit in the device's frame. Counting
// only the fields (not the encoding's few dozen bytes) means a refusal is always right.
inline std::uint64_t publish_size_floor(std::uint64_t payload, std::uint64_t topic,
                                        std::uint64_t content_type, std::uint64_t conflation_key) {
  constexpr std::uint64_t kMessageId = 26;  // every stored message carries its id
  return payload + topic + content_type + conflation_key + kMessageId;
}

// "" when the device may take a message of these sizes (or its limit is not known), else the
// problem detail of the refusal.
std::string frame_refusal(const DeviceFrameLimits& limits, std::string_view device,
                          std::uint64_t payload, std::uint64_t topic, std::uint64_t content_type,
                          std::uint64_t conflation_key);

}  // namespace kite::server
