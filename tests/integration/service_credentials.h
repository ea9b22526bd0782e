// A service credentials file (auth.service_credentials_file) for one test: "NAME HEXKEY" lines,
// rewritten by set() and drop() (kited reads it again at SIGHUP), removed when the test ends,
// also when it fails. A service "NAME" logs in as "service:NAME" with the key filled with its byte.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace kite::it {

class ServiceCredentials {
 public:
  explicit ServiceCredentials(std::map<std::string, std::uint8_t> keys = {{"it", 0x42}})
      : keys_(std::move(keys)) {
    static std::atomic<int> next{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kite-it-service-" + std::to_string(::getpid()) + "-" + std::to_string(next++));
    write();
  }
  ~ServiceCredentials() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  ServiceCredentials(const ServiceCredentials&) = delete;
  ServiceCredentials& operator=(const ServiceCredentials&) = delete;

  void set(const std::string& name, std::uint8_t key_byte) {
    keys_[name] = key_byte;
    write();
  }
  void drop(const std::string& name) {
    keys_.erase(name);
    write();
  }
  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> kited_args() const {
    return {"--set", "auth.service_credentials_file=" + path_.string()};
  }
  // How "service:NAME" connects with the key byte `key_byte`.
  static DeviceOptions options(const Harness& h, const std::string& name, std::uint8_t key_byte) {
    DeviceOptions options = h.device_options("service:" + name);
    protocol::DeviceKey key{};
    key.fill(key_byte);
    options.key = key;
    return options;
  }

 private:
  void write() const {
    static const char* hex = "0123456789abcdef";
    std::ofstream file(path_, std::ios::trunc);
    for (const auto& [name, byte] : keys_) {
      file << name << ' ';
      for (int i = 0; i < 32; ++i) file << hex[byte >> 4] << hex[byte & 15];
      file << '\n';
    }
  }

  std::map<std::string, std::uint8_t> keys_;
  std::filesystem::path path_;
};

}  // namespace kite::it
