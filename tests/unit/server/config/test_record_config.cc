// The [record] table: its defaults, every key from a file, the environment and --set, the ranges
// and the device ids validate() refuses, and its place in the default file.
#include <doctest/doctest.h>

#include "config/default_config.h"
#include "config/load.h"
#include "config_test_support.h"

using namespace kite::server::config;
using kite::server::config::testing::run_kited;
using kite::server::config::testing::ScopedEnv;

using Errors = std::vector<std::string>;
using Problems = std::vector<Problem>;

TEST_CASE("the [record] defaults: off, \"recordings\", 64 MiB files, 16 per worker, every device") {
  RecordConfig record;
  CHECK_FALSE(record.enabled);
  CHECK(record.directory == "recordings");
  CHECK(record.max_file_bytes == 64u * 1024 * 1024);
  CHECK(record.max_files == 16);
  CHECK(record.devices.empty());
  CHECK(validate(Config{}) == Problems{});
}

TEST_CASE("every [record] key loads from kited.toml") {
  auto loaded = load_config_text(
      "[record]\n"
      "enabled = true\n"
      "directory = \"/var/lib/kite/rec\"\n"
      "max_file_bytes = 1048576\n"
      "max_files = 10000\n"
      "devices = [\"lamp-1\", \"lamp-2\"]\n",
      "k.toml");
  REQUIRE(loaded.errors == Errors{});
  CHECK(loaded.config.record ==
        RecordConfig{true, "/var/lib/kite/rec", 1048576, 10000, {"lamp-1", "lamp-2"}});
}

TEST_CASE("[record] from the environment and from --set, the flag winning") {
  ScopedEnv enabled("KITE_RECORD_ENABLED", "true");
  ScopedEnv devices("KITE_RECORD_DEVICES", "a-1, b-2");
  ScopedEnv files("KITE_RECORD_MAX_FILES", "3");
  auto command = run_kited({"--set", "record.max_files=5", "--set", "record.directory=/tmp/rec",
                            "--set", "record.max_file_bytes=4294967296"});
  INFO(doctest::toString(command.errors));
  REQUIRE(command.action == Action::run);
  const RecordConfig& record = command.config.record;
  CHECK(record.enabled);
  CHECK(record.devices == std::vector<std::string>{"a-1", "b-2"});
  CHECK(record.max_files == 5);
  CHECK(record.directory == "/tmp/rec");
  CHECK(record.max_file_bytes == 4294967296u);
}

TEST_CASE("[record] values outside their range or type name the key and what was expected") {
  auto loaded = load_config_text(
      "[record]\n"
      "enabled = \"yes\"\n"
      "max_file_bytes = 1048575\n"
      "max_files = 0\n"
      "devices = \"lamp-1\"\n",
      "k.toml");
  CHECK(loaded.errors ==
        Errors{"k.toml:2:11: record.enabled: expected true or false, got \"yes\"",
               "k.toml:3:18: record.max_file_bytes: expected an integer 1048576..4294967296, got "
               "1048575",
               "k.toml:4:13: record.max_files: expected an integer 1..10000, got 0",
               "k.toml:5:11: record.devices: expected an array of strings, got \"lamp-1\""});
  CHECK(run_kited({"--set", "record.max_file_bytes=4294967297"}).errors ==
        Errors{"--set: record.max_file_bytes: expected an integer 1048576..4294967296, got "
               "4294967297"});
}

TEST_CASE("record.devices must be device ids, and record.directory a path") {
  Config c;
  c.record.devices = {
      "lamp-1", "", "bad\nid", "service:billing", std::string(129, 'x'), std::string(128, 'y')};
  c.record.directory = "";
  CHECK(validate(c) ==
        Problems{{"record.directory", "expected a directory for the recordings, got \"\""},
                 {"record.devices[1]", "expected a device id of 1 to 128 bytes, got 0 bytes"},
                 {"record.devices[2]", "\"bad\\u000Aid\": a device id has no control characters"},
                 {"record.devices[3]",
                  "\"service:billing\": \"service:\" ids are services, not devices"},
                 {"record.devices[4]", "expected a device id of 1 to 128 bytes, got 129 bytes"}});
  c.record.devices.assign(kMaxRecordedDevices + 1, "lamp");
  c.record.directory = "r";
  CHECK(validate(c) ==
        Problems{{"record.devices", "expected at most 10000 device ids, got 10001"}});
}

TEST_CASE("the default file has a [record] section that loads back") {
  const std::string text = default_config_toml();
  const auto at = text.find("\n[record]\n");
  REQUIRE(at != std::string::npos);
  CHECK(text.find("enabled = false\n", at) != std::string::npos);
  CHECK(text.find("directory = \"recordings\"\n", at) != std::string::npos);
  CHECK(text.find("max_file_bytes = 67108864\n", at) != std::string::npos);
  CHECK(text.find("max_files = 16\n", at) != std::string::npos);
  CHECK(text.find("devices = []\n", at) != std::string::npos);
  CHECK(text.find("\n[log]\n") > at);
  Config c;
  c.record = {true, "rec \"q\"", 2097152, 3, {"lamp-1"}};
  auto loaded = load_config_text(render_config_toml(c, false));
  CHECK(loaded.errors == Errors{});
  CHECK(loaded.config.record == c.record);
}
