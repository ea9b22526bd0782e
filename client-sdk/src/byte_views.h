// Text and bytes as each other, without a copy: payloads are bytes on the wire and strings in
// the SDK's API.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kite {

inline std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace kite
