// HMAC-SHA256 (RFC 2104), the one MAC of the protocol: key derivation, handshake proofs, tokens,
// resume tokens.
//
// On libsodium (crypto_auth_hmacsha256_init/update/final, which take a key of any length): no
// heap, no per-thread state, and nothing process-wide to set up but sodium_init(), done once on
// first use. Keys longer than the 64-byte block are hashed first (RFC 2104). That suits a device.
// A program may install another implementation of the same function at start: kited installs
// OpenSSL's (server/core/server_hmac.h), whose SHA-256 uses the CPU's SHA extensions where
// libsodium's is portable C (3 to 4 times faster here, docs/benchmarks.md).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace kite::protocol {

using Mac = std::array<std::uint8_t, 32>;

Mac hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

// Makes hmac_sha256 call `implementation`, which must compute HMAC-SHA256 exactly (RFC 2104, any
// key length). Call once, at start, before any thread uses hmac_sha256; nullptr restores
// libsodium's.
using HmacImplementation = Mac (*)(std::span<const std::uint8_t> key,
                                   std::span<const std::uint8_t> data);
void install_hmac_sha256(HmacImplementation implementation);
// libsodium's, whatever is installed (to check another against it).
Mac sodium_hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

inline Mac hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  return hmac_sha256(key, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
}

}  // namespace kite::protocol
