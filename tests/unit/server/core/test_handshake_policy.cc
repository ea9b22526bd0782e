// The hello's policy without a socket: certificates under mutual TLS, what services may not use,
// resume tokens, and how long a token session lasts.
#include <doctest/doctest.h>

#include <limits>

#include "core/handshake_policy.h"

using namespace kite::server;
using kite::protocol::AuthMethod;

TEST_CASE("certificates: needed for the Tls method, and for every method when required") {
  const PeerCertificate plain{};
  CHECK(certificate_refusal("d1", AuthMethod::Hmac, plain).empty());
  CHECK(certificate_refusal("d1", AuthMethod::Tls, plain) == "no client certificate");

  const PeerCertificate optional{true, false, "d1"};
  CHECK(certificate_refusal("d1", AuthMethod::Tls, optional).empty());
  CHECK(certificate_refusal("d2", AuthMethod::Tls, optional) ==
        "certificate is for device d1, not d2");
  CHECK(certificate_refusal("d2", AuthMethod::Hmac, optional).empty());  // not required

  const PeerCertificate required{true, true, "d1"};
  CHECK(certificate_refusal("d1", AuthMethod::Token, required).empty());
  CHECK(certificate_refusal("d2", AuthMethod::Hmac, required) ==
        "certificate is for device d1, not d2");  // a stolen key alone is not enough
  CHECK(certificate_refusal("d1", AuthMethod::Hmac, {true, true, ""}) == "no client certificate");
}

TEST_CASE("services authenticate with their key: no certificate login, no token") {
  CHECK(is_service_id("service:billing"));
  CHECK_FALSE(is_service_id("billing"));
  CHECK(certificate_refusal("service:b", AuthMethod::Tls, {true, false, "service:b"}) ==
        "services authenticate with their key");
  CHECK(token_refusal("service:b") == "services authenticate with their key");
  CHECK(token_refusal("d1").empty());
}

TEST_CASE("a resume token holds for its device and store epoch; services never resume") {
  const ResumeTokens tokens;
  constexpr std::int64_t kNow = 1'800'000'000'000;
  const auto token = tokens.issue("d1", 5, kNow);
  CHECK(resume_valid("d1", token, 5, 5, tokens, kNow));
  CHECK_FALSE(resume_valid("d1", token, 4, 5, tokens, kNow));  // the store was replaced
  CHECK_FALSE(resume_valid("d1", token, 5, 6, tokens, kNow));
  CHECK_FALSE(resume_valid("d2", token, 5, 5, tokens, kNow));
  const auto service_token = tokens.issue("service:b", 5, kNow);
  CHECK_FALSE(resume_valid("service:b", service_token, 5, 5, tokens, kNow));
}

TEST_CASE("a token session ends at the token's expiry, in loop time") {
  constexpr std::int64_t kWall = 1'800'000'000'000;  // wall clock, ms
  constexpr Millis kLoop = 5'000;                    // the loop's clock at the same moment
  auto limit = TokenLimit::for_token(kWall / 1000 + 60, 3, kWall, kLoop);
  CHECK(limit.deadline() == kLoop + 60'000);
  CHECK_FALSE(limit.expired(kLoop + 59'999));
  CHECK(limit.expired(kLoop + 60'000));
  limit.clear_deadline();  // told to go once, not on every tick after
  CHECK_FALSE(limit.expired(kLoop + 1'000'000));

  CHECK(TokenLimit::for_token(kWall / 1000 - 10, 3, kWall, kLoop).deadline() == kLoop);
  const auto far = TokenLimit::for_token(std::numeric_limits<std::uint64_t>::max(), 3, kWall, 0);
  CHECK(far.deadline() > 0);  // clamped, not wrapped into the past
}

TEST_CASE("a token session ends when a reload replaces the key that signed it") {
  const auto limit = TokenLimit::for_token(2'000'000'000, 3, 0, 0);
  CHECK_FALSE(limit.ended_by(3));
  CHECK(limit.ended_by(4));
  CHECK_FALSE(TokenLimit{}.ended_by(100));  // no token, no key to lose
  CHECK(TokenLimit{}.deadline() == std::numeric_limits<Millis>::max());
}
