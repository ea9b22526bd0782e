#include "cli/key_options.h"

#include "cli/payload.h"
#include "kite/protocol/hex.h"

namespace kite::cli {
namespace {

std::string trim(std::string text) {
  const auto blank = " \t\r\n";
  text.erase(0, text.find_first_not_of(blank));
  text.erase(text.find_last_not_of(blank) + 1);
  return text;
}

std::optional<std::vector<std::uint8_t>> decode_key(const std::string& hex) {
  auto bytes = protocol::hex_decode(hex);
  if (!bytes || bytes->size() < kMinKeyBytes) return std::nullopt;
  return bytes;
}

}  // namespace

const CLI::Validator kHexKey(
    [](std::string& text) -> std::string {
      return decode_key(text) ? "" : "expected a key of 64 or more hex digits";
    },
    "HEX KEY");

std::optional<std::vector<std::uint8_t>> read_key(const std::string& hex, const std::string& path,
                                                  std::string& error) {
  std::string text = hex;
  if (text.empty()) {
    auto contents = read_file_bytes(path, error);
    if (!contents) return std::nullopt;
    text = trim(std::move(*contents));
  }
  auto key = decode_key(text);
  if (!key) error = (hex.empty() ? path : "the key") + " is not a key of 64 or more hex digits";
  return key;
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return hex;
}

}  // namespace kite::cli
