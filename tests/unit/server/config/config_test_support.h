// Helpers of the config tests: files written into the build tree and removed afterwards,
// environment variables set for one test and restored after it, and readable error lists.
#pragma once

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "config/cli.h"
#include "config/validate.h"

namespace kite::server::config::testing {

class TestFile {
 public:
  TestFile(const std::string& name, const std::string& contents)
      : path_(std::string(KITE_CONFIG_TEST_DIR) + "/" + name) {
    std::ofstream(path_) << contents;
  }
  ~TestFile() { std::remove(path_.c_str()); }
  TestFile(const TestFile&) = delete;
  TestFile& operator=(const TestFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Runs parse_command_line on the process environment with "kited" and `args` as argv.
inline CommandLine run_kited(std::vector<std::string> args) {
  args.insert(args.begin(), "kited");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace kite::server::config::testing

// Failed checks on error lists print every line.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (const auto& line : lines) out += "\n  " + line;
    return (out + "\n}").c_str();
  }
};

template <>
struct doctest::StringMaker<std::vector<kite::server::config::Problem>> {
  static doctest::String convert(const std::vector<kite::server::config::Problem>& problems) {
    std::string out = "{";
    for (const auto& p : problems) out += "\n  " + p.key + ": " + p.message;
    return (out + "\n}").c_str();
  }
};
