#include "kite/protocol/hmac.h"

#include <atomic>
#include <cstdlib>

#include "sodium_ready.h"

namespace kite::protocol {

namespace {

// Set before any thread starts (install_hmac_sha256); atomic all the same, so that a test
// installing one while other threads hash is still well defined.
std::atomic<HmacImplementation> installed{nullptr};

}  // namespace

void install_hmac_sha256(HmacImplementation implementation) {
  installed.store(implementation, std::memory_order_release);
}

Mac hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  const HmacImplementation implementation = installed.load(std::memory_order_acquire);
  return implementation ? implementation(key, data) : sodium_hmac_sha256(key, data);
}

Mac sodium_hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  if (!sodium_ready()) std::abort();  // no libsodium: nothing can be authenticated
  // The init/update/final form takes a key of any length (longer than the 64-byte block, it is
  // hashed first, as RFC 2104 says); the one-shot crypto_auth_hmacsha256() takes 32 bytes only.
  // libsodium declares the key pointer nonnull: an empty span may have none.
  static constexpr std::uint8_t kNoKey = 0;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.empty() ? &kNoKey : key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, data.data(), data.size());
  Mac out{};
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);  // the inner and outer hashes of the padded key
  return out;
}

}  // namespace kite::protocol
