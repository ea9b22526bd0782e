#include "plaintext_probe.h"

#include <algorithm>
#include <cstdio>

namespace kite::tls::detail {
namespace {

constexpr std::uint8_t kAlertRecord = 21;
constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::size_t kShown = 16;  // bytes quoted in the message

bool printable(std::uint8_t byte) {
  return (byte >= 0x20 && byte < 0x7f) || byte == '\r' || byte == '\n' || byte == '\t';
}

std::string quoted(std::span<const std::uint8_t> bytes) {
  std::string text = "\"";
  for (std::uint8_t byte : bytes) {
    if (byte == '\r')
      text += "\\r";
    else if (byte == '\n')
      text += "\\n";
    else if (byte == '\t')
      text += "\\t";
    else if (byte == '"' || byte == '\\')
      text += {'\\', static_cast<char>(byte)};
    else
      text += static_cast<char>(byte);
  }
  return text + "\"";
}

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string text;
  for (std::uint8_t byte : bytes) {
    char two[4];
    std::snprintf(two, sizeof two, "%02x", byte);
    if (!text.empty()) text += ' ';
    text += two;
  }
  return text;
}

}  // namespace

bool opens_tls_stream(std::uint8_t first_byte, Role self) {
  if (first_byte == kHandshakeRecord) return true;
  return self == Role::Client && first_byte == kAlertRecord;
}

std::string describe_plaintext(std::span<const std::uint8_t> first_bytes) {
  auto shown = first_bytes.first(std::min(first_bytes.size(), kShown));
  bool text = std::all_of(shown.begin(), shown.end(), printable);
  return "peer sent plaintext, not TLS (" +
         (text ? "starts " + quoted(shown) : "first bytes " + hex(shown)) + ")";
}

}  // namespace kite::tls::detail
