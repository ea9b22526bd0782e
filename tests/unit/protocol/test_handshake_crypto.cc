// Handshake cryptography: key derivation and proofs, against vectors computed independently
// (Python's hmac module) so that a wrong transcript layout cannot pass by symmetry.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "kite/protocol/base64url.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"

using namespace kite::protocol;

namespace {

std::array<std::uint8_t, 32> master() {
  std::array<std::uint8_t, 32> key{};
  std::iota(key.begin(), key.end(), 0);
  return key;
}

}  // namespace

TEST_CASE("device key = HMAC-SHA256(master key, device id)") {
  auto key = derive_device_key(master(), "thermostat-42");
  CHECK(hex_encode(key) == "4d845a6867c58d6dfefdcf8aaf76f1debbdfb0d6d5f333269414b49a59fb10c3");
  CHECK(derive_device_key(master(), "thermostat-43") != key);
}

TEST_CASE("client proof binds the device id and both nonces") {
  auto key = derive_device_key(master(), "thermostat-42");
  Nonce client{}, server{};
  client.fill(1);
  server.fill(2);
  Proof proof = client_proof(key, "thermostat-42", client, server);
  CHECK(hex_encode(proof) == "ed9d447e5c42836419d6c91976b9bb20c6276b0deca6fa68214b1b3f9e2fc832");

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

TEST_CASE("random bytes: sizes 0, 1, 32 and 1000, filled exactly, different every call") {
  // Each draw goes into a buffer 8 bytes longer, all 0xa5, which must keep its tail: the span
  // is filled and nothing beyond it.
  auto draw = [](std::size_t n) {
    std::vector<std::uint8_t> buffer(n + 8, 0xa5);
    REQUIRE(random_bytes(std::span(buffer).first(n)));
    for (std::size_t i = n; i < buffer.size(); ++i) REQUIRE(buffer[i] == 0xa5);
    buffer.resize(n);
    return buffer;
  };
  CHECK(random_bytes({}));  // nothing to fill: still a success
  CHECK(draw(0).empty());

  // One byte repeats with probability 1/256: 16 draws all equal would be 2^-120.
  std::vector<std::vector<std::uint8_t>> ones;
  for (int i = 0; i < 16; ++i) ones.push_back(draw(1));
  CHECK(std::count(ones.begin(), ones.end(), ones.front()) < 16);

  for (std::size_t n : {32u, 1000u}) {
    CAPTURE(n);
    auto a = draw(n), b = draw(n);
    CHECK(a != b);
    CHECK(a != std::vector<std::uint8_t>(n, 0xa5));  // written to at all
    // Not one value repeated throughout (a stuck generator): chance 2^-248 at 32 bytes.
    CHECK(std::count(a.begin(), a.end(), a.front()) < static_cast<std::ptrdiff_t>(n));
  }
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
