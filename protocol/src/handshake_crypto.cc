#include "kite/protocol/handshake_crypto.h"

#include "kite/protocol/hmac.h"

#include <string>

#include "sodium_ready.h"

namespace kite::protocol {
namespace {

std::string transcript(std::string_view label, std::string_view device_id,
                       std::span<const std::uint8_t> client_nonce,
                       std::span<const std::uint8_t> server_nonce) {
  auto append_u8_prefixed = [](std::string& s, std::span<const std::uint8_t> bytes) {
    std::size_t n = std::min<std::size_t>(bytes.size(), 255);
    s.push_back(static_cast<char>(n));
    s.append(reinterpret_cast<const char*>(bytes.data()), n);
  };
  std::string s(label);
  std::size_t id_length = std::min<std::size_t>(device_id.size(), 0xffff);
  s.push_back(static_cast<char>(id_length & 0xff));
  s.push_back(static_cast<char>(id_length >> 8));
  s.append(device_id.substr(0, id_length));
  append_u8_prefixed(s, client_nonce);
  append_u8_prefixed(s, server_nonce);
  return s;
}

Proof proof_over(const DeviceKey& key, std::string_view label, std::string_view device_id,
                 std::span<const std::uint8_t> client_nonce,
                 std::span<const std::uint8_t> server_nonce) {
  std::string t = transcript(label, device_id, client_nonce, server_nonce);
  return hmac_sha256(key, {reinterpret_cast<const std::uint8_t*>(t.data()), t.size()});
}

}  // namespace

DeviceKey derive_device_key(std::span<const std::uint8_t> master_key, std::string_view device_id) {
  return hmac_sha256(master_key,
                     {reinterpret_cast<const std::uint8_t*>(device_id.data()), device_id.size()});
}

Proof client_proof(const DeviceKey& key, std::string_view device_id,
                   std::span<const std::uint8_t> client_nonce,
                   std::span<const std::uint8_t> server_nonce) {
  return proof_over(key, "kite/1 client proof", device_id, client_nonce, server_nonce);
}

Proof server_proof(const DeviceKey& key, std::string_view device_id,
                   std::span<const std::uint8_t> client_nonce,
                   std::span<const std::uint8_t> server_nonce) {
  return proof_over(key, "kite/1 server proof", device_id, client_nonce, server_nonce);
}

bool proof_matches(const Proof& expected, std::span<const std::uint8_t> received) {
  if (received.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

bool random_bytes(std::span<std::uint8_t> out) {
  if (!sodium_ready()) return false;
  if (out.empty()) return true;             // randombytes_buf's pointer is declared nonnull
  randombytes_buf(out.data(), out.size());  // it aborts rather than return fewer bytes
  return true;
}

}  // namespace kite::protocol
