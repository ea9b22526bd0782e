#include "kite/websocket/handshake.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "kite/protocol/handshake_crypto.h"

namespace kite::websocket {
namespace {

bool equal_without_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string base64(std::span<const std::uint8_t> bytes) {
  std::string text(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

std::string new_key() {
  std::array<std::uint8_t, 16> nonce{};
  protocol::random_bytes(nonce);
  return base64(nonce);
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string pair(user);
  pair += ':';
  pair += password;
  return "Basic " + base64({reinterpret_cast<const std::uint8_t*>(pair.data()), pair.size()});
}

bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  std::array<std::uint8_t, 18> decoded{};
  std::size_t size = 0;
  return sodium_base642bin(decoded.data(), decoded.size(), key.data(), key.size(), nullptr, &size,
                           nullptr, sodium_base64_VARIANT_ORIGINAL) == 0 &&
         size == 16;
}

bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (equal_without_case(trimmed(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace kite::websocket
