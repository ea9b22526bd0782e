// A revocation file (auth.revocation_file) for one test: created with a comment line, grown with
// revoke(), removed when the test ends, also when it fails.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace kite::it {

class RevocationFile {
 public:
  RevocationFile() {
    static std::atomic<int> next{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kite-it-revoked-" + std::to_string(::getpid()) + "-" + std::to_string(next++));
    std::ofstream(path_) << "# revoked devices\n";
  }
  ~RevocationFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  RevocationFile(const RevocationFile&) = delete;
  RevocationFile& operator=(const RevocationFile&) = delete;

  // Appends the device's line; kited sees it at its next SIGHUP.
  void revoke(const std::string& device) const {
    std::ofstream(path_, std::ios::app) << device << '\n';
  }
  // The kited arguments that use this file.
  std::vector<std::string> kited_args() const {
    return {"--set", "auth.revocation_file=" + path_.string()};
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kite::it
