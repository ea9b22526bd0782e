// The command line: actions, named flags and --set over environment over file, exit codes, help.
#include <doctest/doctest.h>

#include "config/cli.h"
#include "config/default_config.h"
#include "config_test_support.h"

using namespace kite::server::config;
using kite::server::config::testing::run_kited;
using kite::server::config::testing::ScopedEnv;
using kite::server::config::testing::TestFile;

TEST_CASE("no arguments runs with the defaults") {
  auto cli = run_kited({});
  CHECK(cli.action == Action::run);
  CHECK(cli.exit_code == kExitOk);
  CHECK(cli.config == Config{});
  CHECK(cli.config_file.empty());
}

TEST_CASE("--help lists every flag, the precedence, the environment, exit codes and examples") {
  auto cli = run_kited({"--help"});
  REQUIRE(cli.action == Action::help);
  CHECK(cli.exit_code == kExitOk);
  for (const char* expected : {"--config",
                               "--print-default-config",
                               "--check-config",
                               "--version",
                               "--help",
                               "--mode",
                               "--device-listen",
                               "--admin-listen",
                               "--data-dir",
                               "--workers",
                               "--master-key-file",
                               "--device-keys-file",
                               "--admin-token",
                               "--store-engine",
                               "--durability",
                               "--log-level",
                               "--log-format",
                               "--set",
                               "Precedence",
                               "KITE_<SECTION>_<KEY>",
                               "Exit codes: 0 ok, 1",
                               "Examples:"}) {
    CAPTURE(expected);
    CHECK(cli.text.find(expected) != std::string::npos);
  }
}

TEST_CASE("--version and --print-default-config read no config file") {
  auto version = run_kited({"--version", "--config", "/nonexistent.toml"});
  CHECK(version.action == Action::version);
  CHECK(version.text.starts_with("kited "));
  auto print = run_kited({"--print-default-config", "--config", "/nonexistent.toml"});
  CHECK(print.action == Action::print_default_config);
  CHECK(print.exit_code == kExitOk);
}

TEST_CASE("--print-default-config applies flags and --set, never the environment, unvalidated") {
  // A production template without its secrets: printed, though kited would refuse to run on it.
  ScopedEnv workers("KITE_SERVER_WORKERS", "3");
  auto print = run_kited({"--print-default-config", "--mode", "production", "--data-dir",
                          "/var/lib/kite", "--set", "auth.master_key_file=/etc/kite/master.key"});
  REQUIRE(print.action == Action::print_default_config);
  CHECK(print.config.server.mode == Mode::production);
  CHECK(print.config.server.data_dir == "/var/lib/kite");
  CHECK(print.config.auth.master_key_file == "/etc/kite/master.key");
  CHECK(print.config.server.workers == Config{}.server.workers);
  auto toml = render_config_toml(print.config, false);
  CHECK(toml.find("mode = \"production\"") != std::string::npos);
  auto bad = run_kited({"--print-default-config", "--set", "server.wokers=2"});
  CHECK(bad.action == Action::error);
  CHECK(bad.exit_code == kExitUsage);
}

TEST_CASE("--check-config: a valid config is check_config, an invalid one an error with code 2") {
  TestFile good("good.toml", default_config_toml());
  auto ok = run_kited({"--config", good.path(), "--check-config"});
  CHECK(ok.action == Action::check_config);
  CHECK(ok.exit_code == kExitOk);
  CHECK(ok.config_file == good.path());

  TestFile bad("bad.toml", "[session]\nmax_frame = 1\nkeepalive_factor_percent = 2\n");
  auto failed = run_kited({"-c", bad.path(), "--check-config"});
  CHECK(failed.action == Action::error);
  CHECK(failed.exit_code == kExitUsage);
  CHECK(failed.errors.size() == 2);
}

TEST_CASE("usage errors are exit code 2") {
  for (auto args : {std::vector<std::string>{"--no-such-flag"},
                    {"positional"},
                    {"--workers"},
                    {"--set", "novalue"}}) {
    auto cli = run_kited(args);
    CAPTURE(args[0]);
    CHECK(cli.action == Action::error);
    CHECK(cli.exit_code == kExitUsage);
    CHECK(cli.errors.size() == 1);
  }
  CHECK(run_kited({"--set", "novalue"}).errors[0] == "--set novalue: expected section.key=value");
}

TEST_CASE("one key set three ways: flag over environment over file") {
  TestFile file("three-ways.toml", "[server]\nworkers = 2\n");
  CHECK(run_kited({"--config", file.path()}).config.server.workers == 2);
  ScopedEnv env("KITE_SERVER_WORKERS", "3");
  CHECK(run_kited({"--config", file.path()}).config.server.workers == 3);
  CHECK(run_kited({"--config", file.path(), "--workers", "4"}).config.server.workers == 4);
  CHECK(run_kited({"--config", file.path(), "--set", "server.workers=5"}).config.server.workers ==
        5);
  CHECK(run_kited({"--workers", "4", "--set", "server.workers=5"}).config.server.workers == 4);
}

TEST_CASE("KITE_CONFIG names the file when --config is absent") {
  TestFile file("from-env.toml", "[session]\nreceive_window = 7\n");
  ScopedEnv env("KITE_CONFIG", file.path().c_str());
  auto cli = run_kited({});
  CHECK(cli.config_file == file.path());
  CHECK(cli.config.session.receive_window == 7);
}

TEST_CASE("--device-listen is repeatable and comma-separated; it replaces the environment list") {
  ScopedEnv env("KITE_SERVER_DEVICE_LISTEN", "127.0.0.1:7100,[::1]:7101");
  CHECK(run_kited({}).config.server.device_listen ==
        std::vector<std::string>{"127.0.0.1:7100", "[::1]:7101"});
  auto cli =
      run_kited({"--device-listen", "127.0.0.1:7000", "--device-listen", "[::1]:7000,127.0.0.2:0"});
  REQUIRE(cli.action == Action::run);
  CHECK(cli.config.server.device_listen ==
        std::vector<std::string>{"127.0.0.1:7000", "[::1]:7000", "127.0.0.2:0"});
}

TEST_CASE("named flags and --set reach their keys and report bad values by flag") {
  auto cli =
      run_kited({"--log-level", "debug", "--log-format", "json", "--store-engine", "memory",
                 "--durability", "sync", "--data-dir", "/tmp/kite", "--admin-listen", "[::1]:8080",
                 "--set", "store.full_policy=drop-oldest", "--set", "session.max_frame=65536"});
  REQUIRE(cli.action == Action::run);
  CHECK(cli.config.log.level == kite::server::log::Level::debug);
  CHECK(cli.config.log.format == kite::server::log::Format::json);
  CHECK(cli.config.store.engine == StoreEngine::memory);
  CHECK(cli.config.store.durability == Durability::sync);
  CHECK(cli.config.server.data_dir == "/tmp/kite");
  CHECK(cli.config.server.admin_listen == "[::1]:8080");
  CHECK(cli.config.store.full_policy == FullPolicy::drop_oldest);
  CHECK(cli.config.session.max_frame == 65536);

  auto bad = run_kited({"--log-level", "loud", "--mode", "production"});
  CHECK(bad.action == Action::error);
  CHECK(bad.errors.front() ==
        "--log-level: log.level: expected one of \"debug\", \"info\", \"warn\", \"error\", got "
        "\"loud\"");
}

TEST_CASE("production mode from flags with the admin token from the environment") {
  TestFile key("prod-master.key", std::string(64, 'f'));
  ScopedEnv token("KITE_ADMIN_TOKEN", "0123456789abcdef-token");
  auto cli = run_kited({"--mode", "production", "--master-key-file", key.path(), "--device-listen",
                        "0.0.0.0:7000", "--admin-listen", "[::]:7080"});
  CHECK(cli.errors == std::vector<std::string>{});
  CHECK(cli.config.server.mode == Mode::production);
  CHECK(cli.config.admin.token == "0123456789abcdef-token");
}
