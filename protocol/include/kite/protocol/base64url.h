// Base64url without padding (RFC 4648 section 5), as used in tokens and on the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kite::protocol {

std::string base64url_encode(std::span<const std::uint8_t> bytes);

// nullopt for characters outside the alphabet, padding, or an impossible length.
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

}  // namespace kite::protocol
