// validate(): one test per class of problem, each with its message, and all problems at once.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/dev_secrets.h"
#include "config/validate.h"
#include "config_test_support.h"

using namespace kite::server::config;
using kite::server::config::testing::TestFile;

using Problems = std::vector<Problem>;

namespace {

const std::string kKey64 = std::string(64, 'a');  // 32 bytes of hex

Config production() {
  Config c;
  c.server.mode = Mode::production;
  c.server.device_listen = {"0.0.0.0:7000"};
  c.auth.master_key = kKey64;
  c.admin.token = "0123456789abcdef";
  return c;
}

}  // namespace

TEST_CASE("the defaults and a complete production config are valid") {
  CHECK(validate(Config{}) == Problems{});
  CHECK(validate(production()) == Problems{});
}

TEST_CASE("ranges come from the field table") {
  Config c;
  c.server.workers = 257;
  c.session.max_frame = 100;
  c.session.keepalive_factor_percent = 100;
  CHECK(validate(c) ==
        Problems{{"server.workers", "expected an integer 0..256, got 257"},
                 {"session.max_frame", "expected an integer 8192..16777216, got 100"},
                 {"session.keepalive_factor_percent", "expected an integer 110..1000, got 100"}});
}

TEST_CASE("listeners must be host:port, with IPv6 in brackets, and not repeated") {
  Config c;
  c.server.device_listen = {"::1:7000", "127.0.0.1:7000", "127.0.0.1:7000", "[::1]:0", "[::1]:0"};
  c.server.admin_listen = "127.0.0.1:7000";
  CHECK(validate(c) ==
        Problems{{"server.device_listen",
                  "expected host:port with a numeric IPv4 host or a bracketed IPv6 host "
                  "([::1]:7000) and a port 0..65535, got \"::1:7000\""},
                 {"server.device_listen", "\"127.0.0.1:7000\" is listed twice"},
                 {"server.admin_listen", "\"127.0.0.1:7000\" is also a device listener"}});

  c.server.device_listen = {};
  c.server.admin_listen = "127.0.0.1:7080";
  CHECK(validate(c) == Problems{{"server.device_listen", "expected at least one host:port"}});
}

TEST_CASE("development mode refuses listeners that are not loopback") {
  Config c;
  c.server.device_listen = {"[::1]:7000", "[::]:7000"};
  c.server.admin_listen = "0.0.0.0:7080";
  CHECK(validate(c) == Problems{{"server.device_listen",
                                 "development mode listens on loopback addresses only, got "
                                 "\"[::]:7000\" (set server.mode = \"production\")"},
                                {"server.admin_listen",
                                 "development mode listens on loopback addresses only, got "
                                 "\"0.0.0.0:7080\" (set server.mode = \"production\")"}});
}

TEST_CASE("production mode requires a device key source and an admin token") {
  Config c = production();
  c.auth.master_key.clear();
  c.admin.token = "short";
  CHECK(validate(c) == Problems{{"auth.master_key",
                                 "production mode needs a device key source: set auth.master_key, "
                                 "auth.master_key_file, auth.device_keys_file or auth.token_key"},
                                {"admin.token",
                                 "production mode needs a token of 16+ characters, got 5 (or "
                                 "[[admin.tokens]] entries instead)"}});
  c.auth.token_key = kKey64;
  c.admin.token = std::string(16, 't');
  CHECK(validate(c) == Problems{});
}

TEST_CASE("hex keys: digits only, even length, 32 bytes or more, never echoed") {
  Config c;
  c.auth.master_key = "secret-not-hex";
  c.auth.token_key = std::string(63, 'b');
  auto problems = validate(c);
  CHECK(problems == Problems{{"auth.master_key",
                              "expected hex digits only, got a non-hex character at "
                              "position 0"},
                             {"auth.token_key", "expected an even number of hex digits, got 63"}});
  CHECK(hex_key_problem(std::string(62, 'c'), 32) ==
        "expected at least 32 bytes (64 hex digits), got 31 bytes");
  CHECK(hex_key_problem(kKey64, 32).empty());
}

TEST_CASE("master_key and master_key_file are exclusive") {
  TestFile key_file("master.key", kKey64 + "\n");
  Config c;
  c.auth.master_key = kKey64;
  c.auth.master_key_file = key_file.path();
  CHECK(validate(c) == Problems{{"auth.master_key_file",
                                 "auth.master_key and auth.master_key_file are exclusive: set "
                                 "only one"}});
  c.auth.master_key.clear();
  CHECK(validate(c) == Problems{});
}

TEST_CASE("key and list files must be readable, and the master key file must hold a key") {
  TestFile bad_key("bad-master.key", "abc\n");
  Config c;
  c.auth.master_key_file = bad_key.path();
  c.auth.device_keys_file = "/nonexistent/devices";
  c.auth.revocation_file = KITE_CONFIG_TEST_DIR;
  CHECK(validate(c) ==
        Problems{{"auth.master_key_file", "expected an even number of hex digits, got 3"},
                 {"auth.device_keys_file",
                  "cannot read \"/nonexistent/devices\": No such file or directory"},
                 {"auth.revocation_file", "cannot read \"" + std::string(KITE_CONFIG_TEST_DIR) +
                                              "\": not a regular file"}});
}

TEST_CASE("cross-field limits: minimum below maximum, global above per device") {
  Config c;
  c.session.min_keepalive_ms = 40000;
  c.auth.failed_auth_backoff_max_ms = 10;
  c.store.per_device_bytes = 8192;
  c.store.global_messages = 10;
  CHECK(validate(c) ==
        Problems{{"session.keepalive_ms",
                  "expected at least session.min_keepalive_ms (40000), "
                  "got 30000"},
                 {"auth.failed_auth_backoff_max_ms",
                  "expected at least auth.failed_auth_backoff_base_ms (1000), got 10"},
                 {"store.per_device_bytes",
                  "expected at least session.max_frame (262144), got "
                  "8192"},
                 {"store.global_messages",
                  "expected at least store.per_device_messages (10000), got 10"}});
}

TEST_CASE("the rocksdb engine needs a data directory") {
  Config c;
  c.server.data_dir.clear();
  CHECK(validate(c) ==
        Problems{{"server.data_dir", "expected a directory for the rocksdb store, got \"\""}});
  c.store.engine = StoreEngine::memory;
  CHECK(validate(c) == Problems{});
}

TEST_CASE("development secrets are generated only when missing, and only in development") {
  Config c;
  auto generated = generate_development_secrets(c);
  CHECK(generated.master_key);
  CHECK(generated.admin_token);
  CHECK(hex_key_problem(c.auth.master_key, 32).empty());
  CHECK(c.admin.token.size() >= 16);
  CHECK(validate(c) == Problems{});

  Config again = c;
  generated = generate_development_secrets(again);
  CHECK_FALSE(generated.master_key);
  CHECK_FALSE(generated.admin_token);
  CHECK(again == c);

  Config prod = production();
  prod.admin.token.clear();
  prod.auth.master_key.clear();
  Config before = prod;
  generate_development_secrets(prod);
  CHECK(prod == before);
  CHECK(random_hex(4).size() == 8);
  CHECK(random_hex(16) != random_hex(16));
}
