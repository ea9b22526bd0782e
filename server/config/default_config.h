// The configuration as a commented TOML file: every key, its value and its reference text.
//
// `kited --print-default-config > kited.toml` gives a starting point; the comments are the
// configuration reference. Text, keys and defaults come from the field table and Config{}, so they
// cannot drift (a test parses default_config_toml() back and compares it with Config{}).
#pragma once

#include <string>

#include "config/config.h"

namespace kite::server::config {

std::string default_config_toml();

// Any config in the same layout; with redact_secrets, secret keys that are set show "<redacted>"
// (for printing the effective configuration; such output does not load back).
std::string render_config_toml(const Config& config, bool redact_secrets);

}  // namespace kite::server::config
