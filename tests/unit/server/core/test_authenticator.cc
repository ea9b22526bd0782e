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
  CHECK(newly == std::vector<std::string>{"lost"});
  CHECK(auth.revoked("lost"));
}

TEST_CASE("resume tokens bind the device and the store epoch, and survive a restart") {
  Authenticator a(credentials(), {}), b(credentials(), {});
  CHECK(a.resume_token("d", 5) == b.resume_token("d", 5));
  CHECK(a.resume_token("d", 5) != a.resume_token("d", 6));
  CHECK(a.resume_token("d", 5) != a.resume_token("e", 5));
}

TEST_CASE("admission: a cap on unauthenticated connections and growing back-off") {
  Authenticator auth(credentials(), {2, 1000, 4000});
  CHECK(auth.admit("10.0.0.1", 0));
  CHECK(auth.admit("10.0.0.1", 0));
  CHECK_FALSE(auth.admit("10.0.0.1", 0));  // over the cap
  CHECK(auth.admit("10.0.0.2", 0));        // other IPs are not affected
  auth.authenticated_or_closed("10.0.0.1");
  CHECK(auth.admit("10.0.0.1", 0));

  auth.record_failure("10.0.0.3", 0);
  CHECK_FALSE(auth.admit("10.0.0.3", 999));
  CHECK(auth.admit("10.0.0.3", 1000));
  auth.authenticated_or_closed("10.0.0.3");
  auth.record_failure("10.0.0.3", 1000);  // second failure: 2 s
  CHECK_FALSE(auth.admit("10.0.0.3", 2999));
  CHECK(auth.admit("10.0.0.3", 3000));
  auth.authenticated_or_closed("10.0.0.3");
  for (int i = 0; i < 10; ++i) auth.record_failure("10.0.0.3", 3000);  // capped at 4 s
  CHECK(auth.admit("10.0.0.3", 7000));
  auth.record_success("10.0.0.3");
}
