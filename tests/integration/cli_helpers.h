// What the kite CLI's integration tests share (test_14_cli.cc, test_14_cli_listen.cc): the
// arguments that point kite at the harness's kited, temporary files, and kite listen's set-up.
#pragma once

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "harness.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite_cli.h"

namespace kite::it {

// --api and --token for this harness's kited.
inline std::vector<std::string> api_args(const Harness& h, std::vector<std::string> args) {
  args.push_back("--api");
  args.push_back("http://127.0.0.1:" + std::to_string(h.kited.admin_port()));
  args.push_back("--token");
  args.push_back(kAdminToken);
  return args;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A file in the temporary directory, removed at the end of the test.
struct TempFile {
  explicit TempFile(const std::string& name, const std::string& bytes, bool executable = false)
      : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::ofstream(path, std::ios::binary) << bytes;
    if (executable)
      std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add);
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  std::filesystem::path path;
};

// The key `kite keys derive` prints for `id` under the tests' master key.
inline std::string key_hex(const std::string& id) {
  const protocol::DeviceKey key = protocol::derive_device_key(master_key(), id);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t b : key) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return hex;
}

// `kite listen` as `device` on this harness's device port, then `args` (credentials among them).
inline std::vector<std::string> listen_args(const Harness& h, const std::string& device,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> all = {"listen", "--port", std::to_string(h.kited.device_port()), "--id",
                                  device};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

// Waits until kited has `device` online (a kite listen connected as it).
inline void require_online(Harness& h, const std::string& device, const KiteChild& listen) {
  auto body = h.wait_device(device, [](const nlohmann::json& b) { return b["online"] == true; });
  INFO("kite listen stderr: " << listen.err());
  REQUIRE(body["online"] == true);
}

}  // namespace kite::it
