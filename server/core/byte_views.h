// Views of the same bytes as text or as octets, for moving payloads between the protocol core
// (bytes) and kited's stores and tasks (strings) without copying.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kite::server {

inline std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace kite::server
