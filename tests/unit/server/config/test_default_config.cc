// The default file is the reference: it must hold every key, and parse back to exactly Config{}.
#include <doctest/doctest.h>

#include "config/default_config.h"
#include "config/field_table.h"
#include "config/load.h"
#include "config_test_support.h"

using namespace kite::server::config;

TEST_CASE("Config{} holds the documented defaults") {
  Config c;
  CHECK(c.server.mode == Mode::development);
  CHECK(c.server.device_listen == std::vector<std::string>{"127.0.0.1:7000"});
  CHECK(c.server.admin_listen == "127.0.0.1:7080");
  CHECK(c.server.workers == 0);
  CHECK(c.auth.handshake_timeout_ms == 10000);
  CHECK(c.admin.max_body_bytes == 1048576);
  CHECK(c.session.max_frame == 262144);
  CHECK(c.session.keepalive_factor_percent == 150);
  CHECK(c.store.engine == StoreEngine::rocksdb);
  CHECK(c.store.full_policy == FullPolicy::reject);
  CHECK(c.store.global_bytes == 4294967296u);
  CHECK(c.log.level == kite::server::log::Level::info);
}

TEST_CASE("the default file parses back to exactly Config{}") {
  auto loaded = load_config_text(default_config_toml(), "default.toml");
  CHECK(loaded.errors == std::vector<std::string>{});
  CHECK(loaded.config == Config{});
}

TEST_CASE("the default file shows every key with its comment") {
  auto text = default_config_toml();
  for (const auto& field : field_table()) {
    CAPTURE(field.path());
    CHECK(text.find("\n" + std::string(field.key) + " = ") != std::string::npos);
    CHECK(text.find("# " + std::string(field.summary()) + "\n") != std::string::npos);
  }
  CHECK(text.find("[session]\n") != std::string::npos);
  CHECK(text.find("max_frame = 262144\n") != std::string::npos);
  CHECK(text.find("full_policy = \"reject\"\n") != std::string::npos);
}

TEST_CASE("a config with every section changed renders and loads back unchanged") {
  Config c;
  c.server.mode = Mode::production;
  c.server.device_listen = {"0.0.0.0:7000", "[::]:7000"};
  c.server.data_dir = "/var/lib/kite \"q\" \\ end";
  c.server.workers = 8;
  c.auth.master_key = std::string(64, 'a');
  c.admin.token = "0123456789abcdef0123";
  c.session.max_frame = 1048576;
  c.store.full_policy = FullPolicy::drop_oldest;
  c.store.durability = Durability::sync;
  c.log.level = kite::server::log::Level::debug;
  c.log.format = kite::server::log::Format::json;

  auto loaded = load_config_text(render_config_toml(c, false));
  CHECK(loaded.errors == std::vector<std::string>{});
  CHECK(loaded.config == c);
}

TEST_CASE("rendering can redact secrets that are set") {
  Config c;
  c.admin.token = "super-secret-token";
  auto text = render_config_toml(c, true);
  CHECK(text.find("super-secret-token") == std::string::npos);
  CHECK(text.find("token = \"<redacted>\"") != std::string::npos);
  CHECK(text.find("master_key = \"\"") != std::string::npos);
}
