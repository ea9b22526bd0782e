// HMAC-SHA256 (protocol/src/hmac.cc, on libsodium) against the test vectors of RFC 4231, section
// 4: short keys, a key and data of non-text bytes, and a key longer than SHA-256's 64-byte block,
// which must be hashed first. Checked in full (RFC 4231 also lists truncated outputs).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kite/protocol/hex.h"
#include "kite/protocol/hmac.h"

using namespace kite::protocol;

TEST_CASE("HMAC-SHA256: RFC 4231 test case 1 (20-byte key)") {
  const std::vector<std::uint8_t> key(20, 0x0b);
  CHECK(hex_encode(hmac_sha256(key, "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test case 2 (key shorter than the output)") {
  CHECK(hex_encode(hmac_sha256(*hex_decode("4a656665"), "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test case 3 (50 bytes of 0xdd)") {
  const std::vector<std::uint8_t> key(20, 0xaa);
  const std::vector<std::uint8_t> data(50, 0xdd);
  CHECK(hex_encode(hmac_sha256(key, data)) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test case 6 (131-byte key, longer than the block)") {
  const std::vector<std::uint8_t> key(131, 0xaa);
  CHECK(hex_encode(hmac_sha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("HMAC-SHA256: a key of exactly one block is used as it is, an empty key and data") {
  const std::vector<std::uint8_t> block_key(64, 0x01);
  CHECK(hmac_sha256(block_key, "x") != hmac_sha256(std::vector<std::uint8_t>(63, 0x01), "x"));
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest(); empty spans have no data pointer.
  CHECK(hex_encode(hmac_sha256(std::span<const std::uint8_t>{}, std::span<const std::uint8_t>{})) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
