// Event ids as kited writes them: decimal text (in JSON a string, so that JavaScript readers
// keep all 64 bits).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kite::cli {

inline std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  std::uint64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace kite::cli
