// The [compression] table: defaults, loading, and what kited's sessions get from it — the level
// and thresholds, and the dictionary read from its file under the id in the file's header.
#include <doctest/doctest.h>

#include <fstream>

#include "../../protocol/trained_dictionary_fixture.h"
#include "config/compression_settings.h"
#include "config/load.h"
#include "config/validate.h"
#include "test_pki.h"

using namespace kite::server::config;

using Errors = std::vector<std::string>;
using Problems = std::vector<Problem>;

namespace {

std::string write_file(const kite::test::TempDir& dir, const char* name,
                       const std::vector<std::uint8_t>& bytes) {
  auto path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace

TEST_CASE("the [compression] defaults: on, level 3, 256 and 48 byte thresholds, no dictionary") {
  CompressionConfig compression;
  kite::protocol::SessionConfig session;
  REQUIRE(apply_compression(compression, session) == "");
  CHECK(session.compression.level == 3);
  CHECK(session.compression.threshold == 256);
  CHECK(session.compression.dictionary_threshold == 48);
  CHECK(session.compression.dictionary == 0);
  CHECK(session.dictionaries == nullptr);
}

TEST_CASE("every [compression] key loads from kited.toml") {
  kite::test::TempDir dir;
  const std::string file = write_file(dir, "t.zdict", kite::test::trained_dictionary(7));
  auto loaded = load_config_text(
      "[compression]\n"
      "enabled = false\n"
      "level = 19\n"
      "threshold_bytes = 1024\n"
      "dictionary_file = \"" +
          file +
          "\"\n"
          "dictionary_threshold_bytes = 16\n",
      "k.toml");
  INFO(doctest::toString(loaded.errors));
  REQUIRE(loaded.errors == Errors{});
  CHECK(loaded.config.compression == CompressionConfig{false, 19, 1024, file, 16});
}

TEST_CASE("a level outside zstd's 1..19 names the key") {
  auto loaded = load_config_text("[compression]\nlevel = 22\n", "k.toml");
  REQUIRE(loaded.errors.size() == 1);
  CHECK(loaded.errors[0].find("compression.level") != std::string::npos);
}

TEST_CASE("a trained dictionary file is offered under the id in its header") {
  kite::test::TempDir dir;
  CompressionConfig compression;
  compression.dictionary_file = write_file(dir, "t.zdict", kite::test::trained_dictionary(4242));
  compression.level = 5;
  kite::protocol::SessionConfig session;
  REQUIRE(apply_compression(compression, session) == "");
  CHECK(session.compression.dictionary == 4242);
  CHECK(session.compression.level == 5);
  REQUIRE(session.dictionaries != nullptr);
  CHECK(session.dictionaries->ids() == std::vector<std::uint16_t>{4242});

  SUBCASE("with compression off, kited compresses nothing and agrees on no dictionary") {
    compression.enabled = false;
    REQUIRE(apply_compression(compression, session) == "");
    CHECK(session.compression.dictionary == 0);
    CHECK(session.compression.threshold == SIZE_MAX);
    CHECK(session.compression.dictionary_threshold == SIZE_MAX);
    CHECK(session.dictionaries == nullptr);
  }
}

TEST_CASE("a dictionary file that does not load is refused, naming it and saying why") {
  kite::test::TempDir dir;
  CompressionConfig compression;
  kite::protocol::SessionConfig session;
  SUBCASE("missing") {
    compression.dictionary_file = (dir.path() / "missing.zdict").string();
    CHECK(apply_compression(compression, session) ==
          compression.dictionary_file + ": cannot open it: No such file or directory");
  }
  SUBCASE("not a dictionary") {
    compression.dictionary_file = write_file(dir, "notes.txt", {'h', 'i', '\n'});
    CHECK(apply_compression(compression, session) ==
          compression.dictionary_file +
              ": not a zstd dictionary with an id (make one with `kite dict train`)");
  }
  SUBCASE("an id above 65535") {
    compression.dictionary_file =
        write_file(dir, "big-id.zdict", kite::test::trained_dictionary(100000));
    CHECK(apply_compression(compression, session).find("dictionary id 100000 is above 65535") !=
          std::string::npos);
  }
  SUBCASE("even with compression off, so that turning it on later does not fail") {
    compression.enabled = false;
    compression.dictionary_file = (dir.path() / "missing.zdict").string();
    CHECK_FALSE(apply_compression(compression, session).empty());
  }
  CHECK(session.compression.dictionary == 0);
}

TEST_CASE("validate() leaves the dictionary file alone: a SIGHUP reload does not read it") {
  Config config;
  config.compression.dictionary_file = "/nonexistent/kite.zdict";
  CHECK(validate(config) == Problems{});
}
