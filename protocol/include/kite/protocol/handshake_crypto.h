// The cryptography of the handshake, on libsodium.
//
//   device key   = HMAC-SHA256(fleet master key, device id)          (or a key listed per device)
//   client proof = HMAC-SHA256(device key, transcript("kite/1 client proof"))
//   server proof = HMAC-SHA256(device key, transcript("kite/1 server proof"))
//   transcript(label) = label || u16 len || device id || u8 len || client nonce
//                             || u8 len || server nonce           (lengths little-endian)
//
// Binding the device id and both nonces means a proof is good for one device on one connection
// only: replaying a recorded handshake fails because the server's nonce is new. Proofs are
// compared in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace kite::protocol {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 32;
inline constexpr std::size_t kProofSize = 32;

using DeviceKey = std::array<std::uint8_t, kKeySize>;
using Nonce = std::array<std::uint8_t, kNonceSize>;
using Proof = std::array<std::uint8_t, kProofSize>;

DeviceKey derive_device_key(std::span<const std::uint8_t> master_key, std::string_view device_id);

Proof client_proof(const DeviceKey& key, std::string_view device_id,
                   std::span<const std::uint8_t> client_nonce,
                   std::span<const std::uint8_t> server_nonce);

Proof server_proof(const DeviceKey& key, std::string_view device_id,
                   std::span<const std::uint8_t> client_nonce,
                   std::span<const std::uint8_t> server_nonce);

// Constant-time comparison of a received proof with the expected one (any length accepted,
// only an exact match of kProofSize bytes passes).
bool proof_matches(const Proof& expected, std::span<const std::uint8_t> received);

// Fills `out` from the operating system's CSPRNG (libsodium's randombytes_buf: getrandom(2) or
// /dev/urandom). False only if libsodium cannot be initialised.
bool random_bytes(std::span<std::uint8_t> out);

}  // namespace kite::protocol
