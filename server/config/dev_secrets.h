// Development mode needs no keys: the missing fleet master key and admin token are generated here
// from the kernel's CSPRNG, for kited to print once at start. They live only for that run.
// Production configs are never changed (validate() already requires their keys).
#pragma once

#include <cstddef>
#include <string>

#include "config/config.h"

namespace kite::server::config {

struct GeneratedSecrets {
  bool master_key = false;   // auth.master_key was empty (and no master_key_file) and is now set
  bool admin_token = false;  // admin.token was empty and is now set
};

GeneratedSecrets generate_development_secrets(Config& config);

// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace kite::server::config
