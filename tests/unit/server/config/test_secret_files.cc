// Secrets at rest: files kited writes are 0600 from the start whatever the umask, directories it
// creates are 0700, and key files others can read are found (for the warning at start).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/secret_files.h"

using namespace kite::server::config;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kite-secrets-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// The process umask for one scope.
struct Umask {
  mode_t saved;
  explicit Umask(mode_t mask) : saved(::umask(mask)) {}
  ~Umask() { ::umask(saved); }
};

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a private file is 0600 even under a permissive umask, and replaces the old one") {
  TempDir dir;
  Umask open_umask(0);
  const fs::path file = dir.path / "development-secrets";
  {
    std::ofstream(file) << "old\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  }
  REQUIRE(write_private_file(file, "key\ntoken\n").empty());
  CHECK(mode_of(file) == 0600);
  std::ifstream in(file);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  CHECK(first == "key");
  CHECK(second == "token");
  CHECK(fs::directory_iterator(dir.path) != fs::directory_iterator());
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a private file that cannot be written says why") {
  CHECK(!write_private_file("/nonexistent-dir/kite/secret", "x").empty());
}

TEST_CASE("directories kited creates are 0700; existing ones are left alone") {
  TempDir dir;
  Umask open_umask(0);
  REQUIRE(create_private_directories(dir.path / "data" / "store").empty());
  CHECK(mode_of(dir.path / "data") == 0700);
  CHECK(mode_of(dir.path / "data" / "store") == 0700);
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  REQUIRE(create_private_directories(dir.path / "data").empty());
  CHECK(mode_of(dir.path) == 0750);
}

TEST_CASE("key files others can read are found; private ones and the config without keys are not") {
  TempDir dir;
  const fs::path keys = dir.path / "device-keys", master = dir.path / "master-key",
                 config_file = dir.path / "kited.toml";
  for (const auto& path : {keys, master, config_file}) std::ofstream(path) << "x\n";
  fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  fs::permissions(master, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(config_file,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  CHECK(loose_permissions(keys) == "mode 0604");
  CHECK(loose_permissions(master).empty());

  Config config;
  config.auth.device_keys_file = keys.string();
  config.auth.master_key_file = master.string();
  CHECK(warn_loose_secret_files(config, config_file.string()) == 1);  // no key in the config
  config.admin.token = "inline-admin-token";
  CHECK(warn_loose_secret_files(config, config_file.string()) == 2);
  const auto files = secret_files(config, config_file.string());
  CHECK(files.size() == 3);
}
