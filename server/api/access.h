// The runtime form of the config's access settings, built and applied as one: the admin API's
// bearer tokens (admin.token with every scope, [[admin.tokens]] with theirs) and the gates of the
// device and admin ports (address lists, per-IP caps). Used at start and again on SIGHUP, when a
// config that fails to build leaves everything as it was.
#pragma once

#include <string>

#include "config/config.h"
#include "core/server.h"
#include "http/token_set.h"

namespace kite::server {

// The name admin.token goes by in logs and 403 answers.
inline constexpr std::string_view kLegacyTokenName = "admin.token";

// "" and `tokens` and both gates replaced, or what is wrong and nothing changed. Must run on the
// admin loop (it owns `tokens`).
std::string apply_access(const config::Config& config, Server& server, http::TokenSet& tokens);

}  // namespace kite::server
