#include "common/duration.h"

#include <array>
#include <charconv>
#include <string>
#include <utility>

namespace kite::cli {
namespace {

constexpr std::uint64_t kYear_ms = 366ull * 24 * 3600 * 1000;

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

}  // namespace

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  std::uint64_t number = 0;
  const char* end = text.data() + text.size();
  auto [rest, error] = std::from_chars(text.data(), end, number);
  if (error != std::errc() || rest == text.data()) return std::nullopt;
  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  std::uint64_t scale = unit.empty() ? 1 : 0;  // a bare number is milliseconds
  for (const auto& [name, ms] : kUnits)
    if (unit == name) scale = ms;
  if (scale == 0 || number > kYear_ms / scale) return std::nullopt;
  return number * scale;
}

const CLI::Validator kDuration(
    [](std::string& text) -> std::string {
      return parse_duration_ms(text) ? ""
                                     : "expected milliseconds or a number with a unit (ms, s, m, "
                                       "h, d), e.g. 1500, 100ms, 5s, 24h; at most a year";
    },
    "DURATION");

std::optional<std::uint64_t> parse_seconds_ms(std::string_view text) {
  const bool bare = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  return parse_duration_ms(bare ? std::string(text) + "s" : text);
}

const CLI::Validator kSeconds(
    [](std::string& text) -> std::string {
      return parse_seconds_ms(text) ? ""
                                    : "expected seconds or a number with a unit (ms, s, m, h, "
                                      "d), e.g. 5, 500ms, 2m; at most a year";
    },
    "SECONDS");

}  // namespace kite::cli
