// Hexadecimal text, as keys are written in config and key files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kite::protocol {

// 0..15 for a hex digit (either case), -1 otherwise.
int hex_digit_value(char c);

// Lower-case hex digits, two a byte.
std::string hex_encode(std::span<const std::uint8_t> bytes);

// nullopt for an odd length or a character that is not a hex digit.
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view hex);

}  // namespace kite::protocol
