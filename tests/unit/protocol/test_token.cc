// Signed, expiring tokens: minted and verified, refused when forged, tampered or expired.
#include <doctest/doctest.h>

#include "kite/protocol/base64url.h"
#include "kite/protocol/token.h"

using namespace kite::protocol;

namespace {
const std::vector<std::uint8_t> kKey(32, 0x5a);
constexpr std::uint64_t kNow = 1'800'000'000;
}  // namespace

TEST_CASE("a minted token verifies and carries its claims") {
  std::string token = mint_token(kKey, {"player-7", {"room-1", "lobby"}, kNow, kNow + 3600});
  CHECK(token.starts_with("kite1."));
  TokenClaims claims;
  REQUIRE(verify_token(token, kKey, kNow + 10, claims) == Reason::None);
  CHECK(claims.device_id == "player-7");
  CHECK(claims.groups == std::vector<std::string>{"room-1", "lobby"});
  CHECK(claims.issued_at_s == kNow);
  CHECK(claims.expires_at_s == kNow + 3600);
}

TEST_CASE("an expired token is refused as expired") {
  std::string token = mint_token(kKey, {"player-7", {}, kNow - 100, kNow});
  TokenClaims claims;
  CHECK(verify_token(token, kKey, kNow - 1, claims) == Reason::None);
  CHECK(verify_token(token, kKey, kNow, claims) == Reason::TokenExpired);
}

TEST_CASE("forged and malformed tokens are refused") {
  std::string token = mint_token(kKey, {"player-7", {}, kNow, kNow + 60});
  TokenClaims claims;
  SUBCASE("wrong key") {
    std::vector<std::uint8_t> other(32, 0x5b);
    CHECK(verify_token(token, other, kNow, claims) == Reason::AuthFailed);
  }
  SUBCASE("claims swapped for another device's, signature kept") {
    std::string other = mint_token(kKey, {"admin", {}, kNow, kNow + 60});
    auto dot = token.rfind('.');
    auto other_dot = other.rfind('.');
    std::string forged = other.substr(0, other_dot) + token.substr(dot);
    CHECK(verify_token(forged, kKey, kNow, claims) == Reason::AuthFailed);
  }
  SUBCASE("one character changed anywhere") {
    for (std::size_t i = 6; i < token.size(); i += 5) {
      std::string bad = token;
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      CHECK(verify_token(bad, kKey, kNow, claims) != Reason::None);
    }
  }
  SUBCASE("garbage") {
    CHECK(verify_token("", kKey, kNow, claims) == Reason::AuthFailed);
    CHECK(verify_token("kite1.", kKey, kNow, claims) == Reason::AuthFailed);
    CHECK(verify_token("kite1..", kKey, kNow, claims) == Reason::AuthFailed);
    CHECK(verify_token("jwt.abc.def", kKey, kNow, claims) == Reason::AuthFailed);
    CHECK(verify_token(std::string(5000, 'a'), kKey, kNow, claims) == Reason::AuthFailed);
  }
  SUBCASE("junk claims") {
    // Junk claims with a junk signature: refused at the signature, before any parsing.
    std::string junk = "kite1." + base64url_encode(std::vector<std::uint8_t>(12, 0xee));
    CHECK(verify_token(junk + ".AAAA", kKey, kNow, claims) == Reason::AuthFailed);
  }
}

TEST_CASE("a token issued in the future beyond the allowed clock skew is refused") {
  TokenClaims claims;
  std::string soon = mint_token(kKey, {"p", {}, kNow + kIssuedAtSkew_s, kNow + 9999});
  CHECK(verify_token(soon, kKey, kNow, claims) == Reason::None);
  std::string later = mint_token(kKey, {"p", {}, kNow + kIssuedAtSkew_s + 1, kNow + 9999});
  CHECK(verify_token(later, kKey, kNow, claims) == Reason::AuthFailed);
}
