// Checks a whole Config and returns every problem found, not just the first: ranges (from the
// field table), listener addresses, hex keys, mutually exclusive keys, files that must be
// readable, cross-field limits (min <= max, global >= per device) and the rules of the mode.
// It reads the key files it checks but changes nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace kite::server::config {

struct Problem {
  std::string key;      // "section.key" the problem is about
  std::string message;  // what is expected and what was found; secret values are never quoted
  bool operator==(const Problem&) const = default;
};

std::vector<Problem> validate(const Config& config);

inline constexpr std::size_t kMaxDeviceIdBytes = 128;      // protocol/limits.h kDeviceId
inline constexpr std::size_t kMaxRecordedDevices = 10000;  // record.devices, PUT /v1/recording

// Why `id` cannot be a device id (1-128 bytes, no control characters, not a "service:" id), or
// an empty string if it can.
std::string device_id_problem(std::string_view id);

// Why `hex` is not a key of at least `min_bytes` bytes, or an empty string if it is one.
std::string hex_key_problem(std::string_view hex, std::size_t min_bytes);

}  // namespace kite::server::config
