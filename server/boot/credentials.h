// The key material kited starts with and reloads on SIGHUP: the development mode's generated
// secrets (kept in the data directory, so a restart keeps devices able to log in), and the keys,
// tokens and revocations the config names (key_files.h reads the files).
#pragma once

#include <string>

#include "config/config.h"
#include "core/authenticator.h"

namespace kite::server::boot {

// Development mode only: fills an empty master key and admin token from the data directory's
// `development-secrets`, generating and keeping them the first time (printed once, then).
void development_secrets(config::Config& config);

// Reads what [auth] names into `out`; "" or what is wrong (never echoing key material).
std::string load_credentials(const config::AuthConfig& auth, Credentials& out);

}  // namespace kite::server::boot
