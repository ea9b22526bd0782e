// HMAC-SHA256 (RFC 2104), the one MAC of the protocol: key derivation, handshake proofs, tokens,
// resume tokens.
//
// Written over a digest context kept per thread with SHA-256 fetched once, because OpenSSL 3's
// one-shot HMAC() looks the algorithm up by name and builds and frees its contexts on every
// call: about 3 us each, five times per handshake.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace kite::protocol {

using Mac = std::array<std::uint8_t, 32>;

Mac hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

inline Mac hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  return hmac_sha256(key, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
}

}  // namespace kite::protocol
