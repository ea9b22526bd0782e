// The bridge from kited.toml's [tls] and admin.tls_* keys to kite::tls::TlsSettings, and the check
// that the files they name load (validate() reports TlsContext::create()'s own words, so a bad
// key or certificate is found by --check-config and by a SIGHUP reload before anything changes).
#pragma once

#include <string>

#include "config/config.h"
#include "kite/tls/settings.h"

namespace kite::server::config {

// The device listener's settings (server role).
kite::tls::TlsSettings device_tls_settings(const TlsConfig& tls);
// The admin API's settings: server role, TLS 1.2 or 1.3, no client certificates.
kite::tls::TlsSettings admin_tls_settings(const AdminConfig& admin);

// Loads `settings` once and throws the context away: "" or why it cannot load.
std::string tls_load_problem(const kite::tls::TlsSettings& settings);

}  // namespace kite::server::config
