// The access settings: [[admin.tokens]] tables (read, checked, written back) and the address lists
// and per-IP caps of the device and admin ports, with errors that name the entry at fault.
#include <doctest/doctest.h>

#include "config/default_config.h"
#include "config/load.h"
#include "config_test_support.h"

using namespace kite::server::config;

using Errors = std::vector<std::string>;

namespace {

const std::string kSha(64, 'a');

std::vector<std::string> errors_of(std::string_view toml) {
  return load_config_text(toml, "k.toml").errors;
}

}  // namespace

TEST_CASE("the access defaults") {
  Config c;
  CHECK(c.device.allow.empty());
  CHECK(c.device.deny.empty());
  CHECK(c.device.max_connections_per_ip == 10000);
  CHECK(c.admin.tokens.empty());
  CHECK(c.admin.allow.empty());
  CHECK(c.admin.max_connections_per_ip == 256);
}

TEST_CASE("[[admin.tokens]] tables load with their names, secrets and scopes") {
  auto loaded = load_config_text(R"(
[admin]
token = "legacy-token-0123456789"

[[admin.tokens]]
name = "billing-backend"
token = "billing-secret-0123456789"
scopes = ["send", "read"]

[[admin.tokens]]
name = "grafana"
token_sha256 = ")" + kSha + R"("
scopes = ["read"]
)");
  REQUIRE(loaded.errors == Errors{});
  const auto& tokens = loaded.config.admin.tokens;
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0] ==
        AdminToken{"billing-backend", "billing-secret-0123456789", "", {"send", "read"}});
  CHECK(tokens[1] == AdminToken{"grafana", "", kSha, {"read"}});
  CHECK(loaded.config.admin.token == "legacy-token-0123456789");
}

TEST_CASE("a token table with an unknown key or a wrong type says which entry and key") {
  CHECK(errors_of("[[admin.tokens]]\nname = \"a\"\nscope = [\"read\"]\n") ==
        Errors{"k.toml:1:1: admin.tokens: [0]: unknown key \"scope\" (did you mean \"scopes\"?)"});
  CHECK(errors_of("[admin]\ntokens = [{ name = \"a\", scopes = \"read\" }]\n") ==
        Errors{"k.toml:2:10: admin.tokens: [0]: scopes: expected an array of strings, got "
               "\"read\""});
  CHECK(errors_of("[admin]\ntokens = \"x\"\n") ==
        Errors{"k.toml:2:10: admin.tokens: expected [[admin.tokens]] tables, got \"x\""});
  CHECK(errors_of("[admin]\ntokens = [1]\n") ==
        Errors{"k.toml:2:10: admin.tokens: [0]: expected a table, got an integer"});
}

TEST_CASE("each token is checked; secrets are never quoted in the errors") {
  Config c;
  c.admin.token = "legacy-token-0123456789";
  c.admin.tokens = {
      {"ok", "a-good-secret-0001", "", {"send"}},
      {"", "a-good-secret-0002", "", {"send"}},
      {"bad name", "a-good-secret-0003", "", {"send"}},
      {"admin.token", "a-good-secret-0004", "", {"send"}},
      {"neither", "", "", {"send"}},
      {"both", "a-good-secret-0005", kSha, {"send"}},
      {"short", "short-secret", "", {"send"}},
      {"spaced", "a secret with spaces", "", {"send"}},
      {"digest", "", "not-hex-at-all-secret", {"send"}},
      {"no-scopes", "a-good-secret-0006", "", {}},
      {"odd-scope", "a-good-secret-0007", "", {"write"}},
      {"ok", "a-good-secret-0008", "", {"send"}},
      {"copy", "a-good-secret-0001", "", {"read"}},
      {"legacy", "legacy-token-0123456789", "", {"read"}},
  };
  auto problems = validate(c);
  CHECK(
      problems ==
      std::vector<Problem>{
          {"admin.tokens[1]", "name: expected 1-64 letters, digits, '.', '_' or '-', got \"\""},
          {"admin.tokens[2]",
           "name: expected 1-64 letters, digits, '.', '_' or '-', got \"bad name\""},
          {"admin.tokens[3]",
           "name: \"admin.token\" is reserved: logs use it for the admin.token setting"},
          {"admin.tokens[4]", "expected exactly one of token and token_sha256"},
          {"admin.tokens[5]", "expected exactly one of token and token_sha256"},
          {"admin.tokens[6]", "token: expected 16+ characters, got 12"},
          {"admin.tokens[7]", "token: holds a space, a control character or a non-ASCII character"},
          {"admin.tokens[8]",
           "token_sha256: expected 64 hex digits (printf %s \"$TOKEN\" | sha256sum), got 21 "
           "characters with a non-hex one"},
          {"admin.tokens[9]", "scopes: expected at least one of \"send\", \"read\", \"admin\""},
          {"admin.tokens[10]", "scopes: expected \"send\", \"read\" or \"admin\", got \"write\""},
          {"admin.tokens[11]", "name \"ok\" is also admin.tokens[0]'s"},
          {"admin.tokens[12]", "the same secret as admin.tokens[0]"},
          {"admin.tokens[13]", "the same secret as admin.token"},
      });
  for (const auto& problem : problems) {
    CHECK(problem.message.find("secret-000") == std::string::npos);
    CHECK(problem.message.find("not-hex") == std::string::npos);
  }
}

TEST_CASE("named tokens cannot come from the environment or --set") {
  auto loaded = load_config({.environment = {{"KITE_ADMIN_TOKENS", "x"}}});
  REQUIRE(loaded.errors.size() == 1);
  CHECK(
      loaded.errors[0].starts_with("environment KITE_ADMIN_TOKENS: admin.tokens: named tokens "
                                   "are [[admin.tokens]] tables"));
}

TEST_CASE("production mode accepts named tokens instead of admin.token") {
  Config c;
  c.server.mode = Mode::production;
  c.auth.master_key = std::string(64, 'b');
  c.admin.tokens = {{"ops", "", kSha, {"admin"}}};
  CHECK(validate(c) == std::vector<Problem>{});
  c.admin.token = "short";  // but a legacy token, when set, must still be long enough
  CHECK(validate(c).size() == 1);
}

TEST_CASE("address lists: every bad entry is reported with its list, index and origin") {
  CHECK(errors_of("[device]\nallow = [\"10.0.0.0/8\"]\ndeny = [\"::1\", \"10.1.0.0/16\", "
                  "\"10.0.0.0/33\"]\n[admin]\nallow = [\"localhost\"]\n") ==
        Errors{"k.toml:3:8: device.deny[2]: \"10.0.0.0/33\": prefix length above 32",
               "k.toml:5:9: admin.allow[0]: \"localhost\": not a numeric IPv4 or IPv6 address"});
  CHECK(errors_of("[device]\ndeny = [\"10.1.2.3/8\"]\n") ==
        Errors{"k.toml:2:8: device.deny[0]: \"10.1.2.3/8\": host bits are set below the prefix "
               "length (did you mean 10.0.0.0/8?)"});
  auto loaded = load_config({.environment = {{"KITE_DEVICE_DENY", "127.0.0.2/32,::2"},
                                             {"KITE_ADMIN_ALLOW", "127.0.0.1,10.0.0.0/99"}}});
  CHECK(loaded.errors ==
        Errors{"environment KITE_ADMIN_ALLOW: admin.allow[1]: \"10.0.0.0/99\": prefix length "
               "above 32"});
  CHECK(loaded.config.device.deny == std::vector<std::string>{"127.0.0.2/32", "::2"});
}

TEST_CASE("per-IP caps have ranges, 0 = off") {
  CHECK(load_config_text("[device]\nmax_connections_per_ip = 0\n").ok());
  CHECK(errors_of("[admin]\nmax_connections_per_ip = 2000000\n") ==
        Errors{"k.toml:2:26: admin.max_connections_per_ip: expected an integer 0..1000000, got "
               "2000000"});
}

TEST_CASE("tokens and lists render and load back unchanged; rendering can redact the tokens") {
  Config c;
  c.admin.token = "legacy-token-0123456789";
  c.admin.tokens = {{"billing", "billing-secret-0123", "", {"send", "read"}},
                    {"grafana \"q\"", "", kSha, {"read"}}};
  c.admin.tokens[1].name = "grafana";
  c.device.allow = {"10.0.0.0/8", "::1"};
  c.device.deny = {"10.6.0.0/16"};
  c.admin.deny = {"192.0.2.0/24"};
  c.device.max_connections_per_ip = 5;
  auto loaded = load_config_text(render_config_toml(c, false));
  CHECK(loaded.errors == Errors{});
  CHECK(loaded.config == c);
  auto redacted = render_config_toml(c, true);
  CHECK(redacted.find("billing-secret") == std::string::npos);
  CHECK(redacted.find("tokens = \"<redacted>\"") != std::string::npos);
  CHECK(render_config_toml(Config{}, true).find("\ntokens = []\n") != std::string::npos);
}

TEST_CASE("PROXY protocol: off by default; a version and its proxies per port") {
  CHECK(Config{}.device.proxy_protocol == kite::server::ProxyVersions::off);
  CHECK(Config{}.admin.proxy_from.empty());
  auto loaded = load_config_text(
      "[device]\nproxy_protocol = \"v2\"\nproxy_from = [\"10.0.0.10\"]\n"
      "[admin]\nproxy_protocol = \"any\"\nproxy_from = [\"10.0.0.0/24\"]\n",
      "k.toml");
  REQUIRE(loaded.errors == Errors{});
  CHECK(loaded.config.device.proxy_protocol == kite::server::ProxyVersions::v2);
  CHECK(loaded.config.device.proxy_from == std::vector<std::string>{"10.0.0.10"});
  CHECK(loaded.config.admin.proxy_protocol == kite::server::ProxyVersions::any);
}

TEST_CASE("PROXY protocol: an unknown version, a bad block, and on without proxies are errors") {
  CHECK(errors_of("[device]\nproxy_protocol = \"v3\"\n") ==
        Errors{"k.toml:2:18: device.proxy_protocol: expected one of \"off\", \"v1\", \"v2\", "
               "\"any\", got \"v3\""});
  CHECK(errors_of("[admin]\nproxy_protocol = \"v1\"\nproxy_from = [\"10.0.0.0/33\"]\n") ==
        Errors{"k.toml:3:14: admin.proxy_from[0]: \"10.0.0.0/33\": prefix length above 32"});
  CHECK(errors_of("[device]\nproxy_protocol = \"v1\"\n") ==
        Errors{"device.proxy_from: device.proxy_protocol is on: list the proxies' addresses"});
  // Listed proxies with the protocol off are fine: nothing is read from them.
  CHECK(errors_of("[device]\nproxy_from = [\"10.0.0.10\"]\n") == Errors{});
}
