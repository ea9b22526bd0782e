// Bearer tokens with scopes: lookup by secret (digest), what each scope allows, and the 401/403
// answers with their WWW-Authenticate challenges.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "http/bearer.h"
#include "http/token_set.h"

using namespace kite::server::http;
using nlohmann::json;

namespace {

constexpr auto bits(Scope a) {
  return static_cast<std::uint8_t>(a);
}

TokenSet three_tokens() {
  TokenSet set;
  REQUIRE(set.add({"sender", token_digest("sender-secret-0001"), bits(Scope::send)}) == "");
  REQUIRE(set.add({"reader", token_digest("reader-secret-0002"), bits(Scope::read)}) == "");
  REQUIRE(set.add({"operator", token_digest("admin-secret-00003"), bits(Scope::admin)}) == "");
  return set;
}

HttpRequest with_authorization(std::string value) {
  HttpRequest request;
  request.method = "GET";
  request.headers.emplace_back("authorization", std::move(value));
  return request;
}

const std::string* header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return &value;
  return nullptr;
}

}  // namespace

TEST_CASE("scopes: admin implies the others, send and read are separate") {
  NamedToken sender{"s", {}, bits(Scope::send)};
  CHECK(sender.allows(Scope::send));
  CHECK_FALSE(sender.allows(Scope::read));
  CHECK_FALSE(sender.allows(Scope::admin));
  NamedToken both{"b", {}, static_cast<std::uint8_t>(bits(Scope::send) | bits(Scope::read))};
  CHECK(both.allows(Scope::read));
  CHECK_FALSE(both.allows(Scope::admin));
  NamedToken admin{"a", {}, bits(Scope::admin)};
  CHECK(admin.allows(Scope::send));
  CHECK(admin.allows(Scope::read));
  CHECK(admin.allows(Scope::admin));
  CHECK(parse_scope("read") == Scope::read);
  CHECK_FALSE(parse_scope("Read"));
  CHECK(scope_name(Scope::send) == "send");
}

TEST_CASE("find: by the whole secret, never by a prefix, a near miss or an empty string") {
  TokenSet set = three_tokens();
  REQUIRE(set.find("reader-secret-0002") != nullptr);
  CHECK(set.find("reader-secret-0002")->name == "reader");
  CHECK(set.find("admin-secret-00003")->name == "operator");
  CHECK(set.find("reader-secret-000") == nullptr);
  CHECK(set.find("reader-secret-00021") == nullptr);
  CHECK(set.find("reader-secret-0003") == nullptr);
  CHECK(set.find("") == nullptr);
  CHECK(TokenSet().find("anything") == nullptr);
}

TEST_CASE("add: names and secrets are unique") {
  TokenSet set = three_tokens();
  CHECK(set.add({"sender", token_digest("another-secret-999"), bits(Scope::read)}) ==
        "the name \"sender\" is used twice");
  CHECK(set.add({"copy", token_digest("reader-secret-0002"), bits(Scope::read)}) ==
        "tokens \"reader\" and \"copy\" have the same secret");
  CHECK(set.size() == 3);
}

TEST_CASE("digests: SHA-256 hex in either case, nothing else") {
  // printf %s abc | sha256sum
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto digest = parse_token_digest(abc);
  REQUIRE(digest);
  CHECK(*digest == token_digest("abc"));
  std::string upper = abc;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(parse_token_digest(upper) == digest);
  CHECK_FALSE(parse_token_digest(abc.substr(1)));
  CHECK_FALSE(parse_token_digest(abc.substr(1) + "g"));
}

TEST_CASE("check_bearer: 401 without a known token, 403 with a token that lacks the scope") {
  TokenSet set = three_tokens();
  HttpRequest none;
  auto missing = check_bearer(none, set, Scope::read);
  REQUIRE(missing.refusal);
  CHECK(missing.refusal->status == 401);
  CHECK(*header(*missing.refusal, "WWW-Authenticate") == "Bearer realm=\"kite\"");

  for (const char* bad : {"Bearer nope", "Basic cmVhZGVyOnNlY3JldA==", "Bearer", "Bearer  ",
                          "bearer reader-secret-0002x"}) {
    CAPTURE(bad);
    auto check = check_bearer(with_authorization(bad), set, Scope::read);
    REQUIRE(check.refusal);
    CHECK(check.refusal->status == 401);
    CHECK(check.token == nullptr);
  }
  auto wrong = check_bearer(with_authorization("Bearer nope"), set, Scope::read);
  CHECK(*header(*wrong.refusal, "WWW-Authenticate") ==
        "Bearer realm=\"kite\", error=\"invalid_token\"");

  auto forbidden = check_bearer(with_authorization("Bearer sender-secret-0001"), set, Scope::read);
  REQUIRE(forbidden.refusal);
  CHECK(forbidden.refusal->status == 403);
  REQUIRE(forbidden.token != nullptr);
  CHECK(forbidden.token->name == "sender");
  CHECK(*header(*forbidden.refusal, "WWW-Authenticate") ==
        "Bearer realm=\"kite\", error=\"insufficient_scope\", scope=\"read\"");
  json body = json::parse(forbidden.refusal->body);
  CHECK(body["status"] == 403);
  CHECK(body["required_scope"] == "read");
  CHECK(body["token"] == "sender");
  CHECK(forbidden.refusal->body.find("sender-secret") == std::string::npos);

  // The scheme in any case, spaces before the token.
  auto ok = check_bearer(with_authorization("bEaReR   reader-secret-0002"), set, Scope::read);
  CHECK_FALSE(ok.refusal);
  CHECK(ok.token->name == "reader");
  CHECK_FALSE(
      check_bearer(with_authorization("Bearer admin-secret-00003"), set, Scope::send).refusal);
}
