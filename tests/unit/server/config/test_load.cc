// Loading layers: TOML file, environment, settings; every error names its origin, key and
// expectation, and all of them are reported.
#include <doctest/doctest.h>

#include "config/load.h"
#include "config_test_support.h"

using namespace kite::server::config;
using kite::server::config::testing::TestFile;

using Errors = std::vector<std::string>;

TEST_CASE("file values override the defaults, the rest stays default") {
  auto loaded = load_config_text("[session]\nmax_frame = 65536\n[store]\nengine = \"memory\"\n");
  REQUIRE(loaded.ok());
  CHECK(loaded.config.session.max_frame == 65536);
  CHECK(loaded.config.store.engine == StoreEngine::memory);
  CHECK(loaded.config.session.receive_window == 64);
}

TEST_CASE("dotted keys are the same keys") {
  auto loaded = load_config_text("session.max_frame = 65536\n");
  REQUIRE(loaded.ok());
  CHECK(loaded.config.session.max_frame == 65536);
}

TEST_CASE("a type error names file, line, column, key and what was expected") {
  auto loaded = load_config_text("[session]\nmax_frame = \"1k\"\n", "kited.toml");
  CHECK(loaded.errors ==
        Errors{"kited.toml:2:13: session.max_frame: expected an integer 8192..16777216, "
               "got \"1k\""});
  CHECK(loaded.config.session.max_frame == 262144);
}

TEST_CASE("an out-of-range value, a bad choice and a wrong list all report") {
  auto loaded = load_config_text(
      "[server]\nworkers = 300\ndevice_listen = \"127.0.0.1:7000\"\n"
      "[store]\nfull_policy = \"drop\"\n[log]\nlevel = 3\n",
      "k.toml");
  CHECK(loaded.errors ==
        Errors{"k.toml:2:11: server.workers: expected an integer 0..256, got 300",
               "k.toml:3:17: server.device_listen: expected an array of strings, got "
               "\"127.0.0.1:7000\"",
               "k.toml:5:15: store.full_policy: expected \"reject\" or \"drop-oldest\", got "
               "\"drop\"",
               "k.toml:7:9: log.level: expected one of \"debug\", \"info\", \"warn\", \"error\", "
               "got an integer"});
}

TEST_CASE("unknown keys are errors with a suggestion when one is close") {
  auto loaded = load_config_text(
      "[session]\nmax_frmae = 1\n[server]\nmax_frame = 1\n[sesion]\n[store]\ncolour = 1\n"
      "dev = true\n",
      "k.toml");
  CHECK(
      loaded.errors ==
      Errors{"k.toml:2:1: unknown key \"session.max_frmae\" (did you mean \"session.max_frame\"?)",
             "k.toml:4:1: unknown key \"server.max_frame\" (did you mean \"session.max_frame\"?)",
             "k.toml:5:2: unknown section \"sesion\" (did you mean \"session\"?)",
             "k.toml:7:1: unknown key \"store.colour\"", "k.toml:8:1: unknown key \"store.dev\""});
}

TEST_CASE("a top-level key that is not a section is an error") {
  auto loaded = load_config_text("dev = true\nsession = 3\n", "k.toml");
  CHECK(loaded.errors == Errors{"k.toml:1:1: unknown section \"dev\"",
                                "k.toml:2:1: session: expected a table, got an integer"});
}

TEST_CASE("bad TOML syntax reports the line and does not throw") {
  auto loaded = load_config_text("[session]\nmax_frame = 65536\nreceive_window = = 3\n", "k.toml");
  REQUIRE(loaded.errors.size() == 1);
  CHECK(loaded.errors[0].starts_with("k.toml:3:"));
  CHECK(loaded.errors[0].find("invalid TOML") != std::string::npos);
}

TEST_CASE("a missing file is one clear error") {
  auto loaded = load_config({.config_file = "/nonexistent/kited.toml"});
  CHECK(loaded.errors == Errors{"/nonexistent/kited.toml: cannot read: No such file or directory"});
}

TEST_CASE("environment variables are KITE_<SECTION>_<KEY> and lists are comma-separated") {
  auto loaded = load_config({.environment = {
                                 {"KITE_SESSION_MAX_FRAME", "65536"},
                                 {"KITE_SERVER_DEVICE_LISTEN", "127.0.0.1:7000, [::1]:7001"},
                                 {"KITE_STORE_FULL_POLICY", "drop-oldest"},
                                 {"KITE_CONFIG", "ignored-here.toml"},
                                 {"HOME", "/root"},
                             }});
  REQUIRE(loaded.ok());
  CHECK(loaded.config.session.max_frame == 65536);
  CHECK(loaded.config.server.device_listen ==
        std::vector<std::string>{"127.0.0.1:7000", "[::1]:7001"});
  CHECK(loaded.config.store.full_policy == FullPolicy::drop_oldest);
}

TEST_CASE("bad environment values and unknown variables of a known section are errors") {
  auto loaded = load_config({.environment = {
                                 {"KITE_SESSION_MAX_FRAME", "1024"},
                                 {"KITE_SESSION_MAX_FRMAE", "65536"},
                                 {"KITE_SERVER_DEVICE_LISTEN", "127.0.0.1:7000,,"},
                                 {"KITE_SERVER_WORKERS", "four"},
                             }});
  CHECK(loaded.errors ==
        Errors{"environment KITE_SESSION_MAX_FRAME: session.max_frame: expected an integer "
               "8192..16777216, got 1024",
               "environment KITE_SESSION_MAX_FRMAE: unknown setting (did you mean "
               "\"KITE_SESSION_MAX_FRAME\"?)",
               "environment KITE_SERVER_DEVICE_LISTEN: server.device_listen: expected a "
               "comma-separated list, got an empty item",
               "environment KITE_SERVER_WORKERS: server.workers: expected an integer 0..256, got "
               "\"four\""});
}

TEST_CASE("precedence: settings over environment over file over defaults") {
  TestFile file("precedence.toml",
                "[server]\nworkers = 2\ndata_dir = \"/file\"\n"
                "[session]\nreceive_window = 10\n");
  LoadRequest request{
      .config_file = file.path(),
      .environment = {{"KITE_SERVER_WORKERS", "3"}, {"KITE_SERVER_DATA_DIR", "/env"}},
      .settings = {{"server.workers", "4", "--workers"}}};
  auto loaded = load_config(request);
  REQUIRE(loaded.ok());
  CHECK(loaded.config.server.workers == 4);
  CHECK(loaded.config.server.data_dir == "/env");
  CHECK(loaded.config.session.receive_window == 10);
  CHECK(loaded.config.session.max_frame == 262144);
}

TEST_CASE("validation problems name where the offending value came from") {
  TestFile file("origin.toml", "[server]\ndevice_listen = [\"0.0.0.0:7000\"]\n");
  auto loaded =
      load_config({.config_file = file.path(),
                   .settings = {{"server.admin_listen", "10.0.0.1:80", "--admin-listen"}}});
  CHECK(loaded.errors ==
        Errors{file.path() + ":2:17: server.device_listen: development mode listens on loopback "
                             "addresses only, got \"0.0.0.0:7000\" (set server.mode = "
                             "\"production\")",
               "--admin-listen: server.admin_listen: development mode listens on loopback "
               "addresses only, got \"10.0.0.1:80\" (set server.mode = \"production\")"});
}

TEST_CASE("an unknown --set key suggests the right one") {
  auto loaded =
      load_config({.settings = {{"session.keepalive", "5", "--set"}, {"nosuch", "5", "--set"}}});
  CHECK(loaded.errors ==
        Errors{"--set: unknown key \"session.keepalive\" (did you mean \"session.keepalive_ms\"?)",
               "--set: unknown key \"nosuch\""});
}
