// Durations on the command line: a number of milliseconds ("1500") or a number with a unit
// ("100ms", "5s", "2m", "24h", "7d").
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace kite::cli {

// nullopt for anything else, a negative number, or more than a year.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);

// A CLI11 check that refuses what parse_duration_ms() refuses, with a message saying why.
extern const CLI::Validator kDuration;

// The same, except that a bare number is seconds ("5" is 5 s, "500ms" is half a second): for
// options that take SECONDS, as mosquitto_sub's -W and -k do.
std::optional<std::uint64_t> parse_seconds_ms(std::string_view text);
extern const CLI::Validator kSeconds;

}  // namespace kite::cli
