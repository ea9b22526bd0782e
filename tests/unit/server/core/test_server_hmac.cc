// kited's HMAC-SHA256 on OpenSSL (server_hmac.h) is the same function as the device SDK's on
// libsodium: RFC 4231's vectors, then both over every key length around SHA-256's block and data
// lengths across several blocks, and from several threads at once (each has its own context).
#include <doctest/doctest.h>

#include <random>
#include <thread>
#include <vector>

#include "core/server_hmac.h"
#include "kite/protocol/hex.h"

using namespace kite::server;
using kite::protocol::hex_decode;
using kite::protocol::hex_encode;

namespace {

std::vector<std::uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

std::vector<std::uint8_t> random_bytes(std::mt19937& random, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(random());
  return out;
}

}  // namespace

TEST_CASE("server HMAC: RFC 4231 test cases 1, 2 and 6") {
  CHECK(hex_encode(openssl_hmac_sha256(std::vector<std::uint8_t>(20, 0x0b), bytes("Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex_encode(
            openssl_hmac_sha256(*hex_decode("4a656665"), bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hex_encode(
            openssl_hmac_sha256(std::vector<std::uint8_t>(131, 0xaa),
                                bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hex_encode(openssl_hmac_sha256({}, {})) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("server HMAC: equals libsodium's for every key length around the block") {
  std::mt19937 random(42);
  for (std::size_t key_size = 0; key_size <= 130; ++key_size) {
    for (std::size_t data_size : {0u, 1u, 31u, 55u, 56u, 64u, 100u, 200u}) {
      const auto key = random_bytes(random, key_size);
      const auto data = random_bytes(random, data_size);
      CAPTURE(key_size);
      CAPTURE(data_size);
      CHECK(openssl_hmac_sha256(key, data) == kite::protocol::sodium_hmac_sha256(key, data));
    }
  }
}

TEST_CASE("server HMAC: installed, protocol::hmac_sha256 uses it; threads share nothing") {
  install_server_hmac();
  const std::vector<std::uint8_t> key(32, 0x11);
  const auto expected = kite::protocol::sodium_hmac_sha256(key, bytes("transcript"));
  CHECK(kite::protocol::hmac_sha256(key, std::string_view("transcript")) == expected);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i)
        if (kite::protocol::hmac_sha256(key, std::string_view("transcript")) != expected)
          ++wrong[t];
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(4, 0));
  kite::protocol::install_hmac_sha256(nullptr);
}
