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

// Why `hex` is not a key of at least `min_bytes` bytes, or an empty string if it is one.
std::string hex_key_problem(std::string_view hex, std::size_t min_bytes);

}  // namespace kite::server::config
