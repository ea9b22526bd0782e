// Keys on the command line: hex text given directly (--master-key, --token-key, or their
// KITE_AUTH_* variables, as kited reads them) or in a file of hex text (--master-key-file), at
// least 32 bytes, as kited requires.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kite::cli {

inline constexpr std::size_t kMinKeyBytes = 32;

// A CLI11 check: 64 or more hex digits.
extern const CLI::Validator kHexKey;

// The key from `hex`, or else from the file `path` (hex text, surrounding blanks ignored);
// nullopt with `error` set when neither gives a key.
std::optional<std::vector<std::uint8_t>> read_key(const std::string& hex, const std::string& path,
                                                  std::string& error);

std::string hex_encode(std::span<const std::uint8_t> bytes);

}  // namespace kite::cli
