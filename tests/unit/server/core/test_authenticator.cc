// The authenticator: key resolution, tokens, revocation reload, resume tokens, and per-IP
// admission with growing back-off.
#include <doctest/doctest.h>

#include "core/authenticator.h"

using namespace kite::server;
using kite::protocol::Reason;

namespace {

Credentials credentials() {
  Credentials c;
  c.master_key.assign(32, 0x42);
  c.token_key.assign(32, 0x24);
  kite::protocol::DeviceKey listed{};
  listed.fill(7);
  c.device_keys["listed"] = listed;
  c.service_keys["billing"] = listed;
  c.revoked.insert("stolen");
  return c;
}

}  // namespace

TEST_CASE("keys: listed wins, others derive from the master key, services by name") {
  Authenticator auth(credentials(), {});
  CHECK(auth.key_for("listed")->at(0) == 7);
  CHECK(*auth.key_for("dev-1") ==
        kite::protocol::derive_device_key(std::vector<std::uint8_t>(32, 0x42), "dev-1"));
  CHECK(auth.key_for("service:billing").has_value());
  CHECK_FALSE(auth.key_for("service:unknown").has_value());
}

TEST_CASE("tokens must name the connecting device and be unexpired") {
  Authenticator auth(credentials(), {});
  std::vector<std::uint8_t> key(32, 0x24);
  std::vector<std::string> groups;
  auto token = kite::protocol::mint_token(key, {"p1", {"room"}, 100, 200});
  CHECK(auth.check_token(token, "p1", 150, groups) == Reason::None);
  CHECK(groups == std::vector<std::string>{"room"});
  CHECK(auth.check_token(token, "p2", 150, groups) == Reason::AuthFailed);
  CHECK(auth.check_token(token, "p1", 200, groups) == Reason::TokenExpired);
}

TEST_CASE("reload reports who is newly revoked") {
  Authenticator auth(credentials(), {});
  CHECK(auth.revoked("stolen"));
  auto next = credentials();
  next.revoked.insert("lost");
  auto newly = auth.reload(next);
  CHECK(newly.revoked == std::vector<std::string>{"lost"});
  CHECK(auth.revoked("lost"));
}

TEST_CASE("a reload ends services whose key is gone or changed, and says the token key changed") {
  Authenticator auth(credentials(), {});
  CHECK(auth.token_key_generation() == 0);
  auto same = auth.reload(credentials());
  CHECK(same.revoked.empty());
  CHECK(same.services_rekeyed.empty());
  CHECK_FALSE(same.token_key_changed);

  auto next = credentials();
  next.service_keys["billing"][0] ^= 1;  // replaced
  next.service_keys["reports"] = next.service_keys["billing"];
  next.revoked.insert("service:reports");
  next.token_key.assign(32, 0x25);
  auto effects = auth.reload(next);
  CHECK(effects.services_rekeyed == std::vector<std::string>{"service:billing"});
  CHECK(effects.revoked == std::vector<std::string>{"service:reports"});
  CHECK(effects.token_key_changed);
  CHECK(auth.token_key_generation() == 1);

  next.service_keys.erase("billing");  // removed
  effects = auth.reload(next);
  CHECK(effects.services_rekeyed == std::vector<std::string>{"service:billing"});
  CHECK_FALSE(effects.token_key_changed);
}

TEST_CASE("token claims come back whole: the expiry bounds the session") {
  Authenticator auth(credentials(), {});
  std::vector<std::uint8_t> key(32, 0x24);
  auto token = kite::protocol::mint_token(key, {"p1", {"room"}, 100, 200});
  kite::protocol::TokenClaims claims;
  REQUIRE(auth.check_token(token, "p1", 150, claims) == Reason::None);
  CHECK(claims.expires_at_s == 200);
}
