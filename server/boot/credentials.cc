#include "boot/credentials.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "boot/key_files.h"
#include "config/dev_secrets.h"
#include "config/secret_files.h"

namespace kite::server::boot {

namespace cfg = kite::server::config;

// Development mode keeps its generated secrets in the data directory, so a restart (or kill -9)
// keeps devices able to authenticate. Printed once, when generated.
void development_secrets(cfg::Config& config) {
  if (config.server.mode != cfg::Mode::development) return;
  if (auto error = cfg::create_private_directories(config.server.data_dir); !error.empty())
    std::fprintf(stderr, "kited: %s\n", error.c_str());
  auto path = std::filesystem::path(config.server.data_dir) / "development-secrets";
  std::ifstream in(path);
  std::string master, token;
  if (in && std::getline(in, master) && std::getline(in, token)) {
    if (config.auth.master_key.empty() && config.auth.master_key_file.empty())
      config.auth.master_key = master;
    if (config.admin.token.empty()) config.admin.token = token;
    std::printf("kited: development keys from %s\n", path.c_str());
    return;
  }
  auto generated = cfg::generate_development_secrets(config);
  if (!generated.master_key && !generated.admin_token) return;
  if (auto error =
          cfg::write_private_file(path, config.auth.master_key + "\n" + config.admin.token + "\n");
      !error.empty())
    std::fprintf(stderr, "kited: development secrets not kept: %s\n", error.c_str());
  std::printf("kited: development mode: generated secrets (kept in %s):\n", path.c_str());
  if (generated.master_key) std::printf("  fleet master key: %s\n", config.auth.master_key.c_str());
  if (generated.admin_token) std::printf("  admin token:      %s\n", config.admin.token.c_str());
}

std::string load_credentials(const cfg::AuthConfig& auth, Credentials& out) {
  std::string master = auth.master_key;
  if (!auth.master_key_file.empty()) {
    if (auto error = read_secret_file(auth.master_key_file, master); !error.empty()) return error;
  }
  if (!master.empty()) {
    auto bytes = hex_decode(master);
    if (!bytes) return "auth.master_key: not hex";
    out.master_key = *bytes;
  }
  if (!auth.token_key.empty()) {
    auto bytes = hex_decode(auth.token_key);
    if (!bytes) return "auth.token_key: not hex";
    out.token_key = *bytes;
  }
  if (!auth.device_keys_file.empty())
    if (auto error = load_key_file(auth.device_keys_file, out.device_keys); !error.empty())
      return error;
  if (!auth.service_credentials_file.empty())
    if (auto error = load_key_file(auth.service_credentials_file, out.service_keys); !error.empty())
      return error;
  if (!auth.revocation_file.empty())
    if (auto error = load_id_list(auth.revocation_file, out.revoked); !error.empty()) return error;
  return {};
}

}  // namespace kite::server::boot
