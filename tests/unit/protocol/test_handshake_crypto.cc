// Handshake cryptography: key derivation and proofs, against vectors computed independently
// (Python's hmac module) so that a wrong transcript layout cannot pass by symmetry.
#include <doctest/doctest.h>

#include <numeric>

#include "kite/protocol/base64url.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/hmac.h"

using namespace kite::protocol;

namespace {

std::string hex(std::span<const std::uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::array<std::uint8_t, 32> master() {
  std::array<std::uint8_t, 32> key{};
  std::iota(key.begin(), key.end(), 0);
  return key;
}

}  // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231, short and longer-than-block keys") {
  const std::vector<std::uint8_t> short_key(20, 0x0b);
  CHECK(hex(hmac_sha256(short_key, "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(hmac_sha256(*hex_decode("4a656665"), "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::vector<std::uint8_t> long_key(131, 0xaa);
  CHECK(hex(hmac_sha256(long_key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const std::vector<std::uint8_t> block_key(64, 0x01);  // exactly one block: used as it is
  CHECK(hmac_sha256(block_key, "x") != hmac_sha256(std::vector<std::uint8_t>(63, 0x01), "x"));
}

TEST_CASE("device key = HMAC-SHA256(master key, device id)") {
  auto key = derive_device_key(master(), "thermostat-42");
  CHECK(hex(key) == "4d845a6867c58d6dfefdcf8aaf76f1debbdfb0d6d5f333269414b49a59fb10c3");
  CHECK(derive_device_key(master(), "thermostat-43") != key);
}

TEST_CASE("client proof binds the device id and both nonces") {
  auto key = derive_device_key(master(), "thermostat-42");
  Nonce client{}, server{};
  client.fill(1);
  server.fill(2);
  Proof proof = client_proof(key, "thermostat-42", client, server);
  CHECK(hex(proof) == "ed9d447e5c42836419d6c91976b9bb20c6276b0deca6fa68214b1b3f9e2fc832");

  Nonce other = server;
  other[31] ^= 1;
  CHECK(client_proof(key, "thermostat-42", client, other) != proof);   // replay, new nonce
  CHECK(client_proof(key, "thermostat-43", client, server) != proof);  // other device
  CHECK(server_proof(key, "thermostat-42", client, server) != proof);  // other direction
}

TEST_CASE("proof comparison accepts only an exact match") {
  auto key = derive_device_key(master(), "d");
  Nonce n{};
  Proof proof = client_proof(key, "d", n, n);
  CHECK(proof_matches(proof, proof));
  Proof wrong = proof;
  wrong[0] ^= 0x80;
  CHECK_FALSE(proof_matches(proof, wrong));
  CHECK_FALSE(proof_matches(proof, std::span(proof).first(31)));
  CHECK_FALSE(proof_matches(proof, {}));
}

TEST_CASE("random bytes differ between calls") {
  Nonce a{}, b{};
  REQUIRE(random_bytes(a));
  REQUIRE(random_bytes(b));
  CHECK(a != b);
}

TEST_CASE("base64url round trip and rejection of bad text") {
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<std::uint8_t> bytes(n);
    std::iota(bytes.begin(), bytes.end(), static_cast<std::uint8_t>(n * 7));
    auto text = base64url_encode(bytes);
    CHECK(text.find('=') == std::string::npos);
    auto back = base64url_decode(text);
    REQUIRE(back);
    CHECK(*back == bytes);
  }
  CHECK(base64url_encode(std::vector<std::uint8_t>{0xfb, 0xff}) == "-_8");
  CHECK_FALSE(base64url_decode("ab+c"));   // standard alphabet, not url-safe
  CHECK_FALSE(base64url_decode("abcde"));  // impossible length
  CHECK_FALSE(base64url_decode("AB=="));   // padding
  CHECK_FALSE(base64url_decode("AB"));     // leftover bits must be zero: "AA" is canonical
  CHECK(base64url_decode("AA"));
}
