// Builds the Config of a run from its layers, later ones winning:
//
//   defaults (config.h) < TOML file < KITE_<SECTION>_<KEY> environment variables < flags
//
// A list (server.device_listen) set by a later layer replaces the earlier list; it does not
// append. In the environment and on the command line a list is comma-separated. Environment
// variables named after a known section with an unknown key (KITE_SESSION_MAX_FRMAE) are errors,
// as are unknown keys in the file; other KITE_* variables (KITE_CONFIG) are ignored here.
//
// Nothing throws and nothing stops at the first mistake: every error is collected, and each
// names where the value came from (file:line:column, the variable or the flag), the key, and
// what was expected. The result is validated (validate.h) unless the file could not be read.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace kite::server::config {

using Environment = std::vector<std::pair<std::string, std::string>>;  // name, value

// One value set on the command line, as text.
struct Setting {
  std::string key;     // "section.key"
  std::string value;   // parsed like an environment variable
  std::string origin;  // shown in errors: "--workers", "--set"
};

struct LoadRequest {
  std::string config_file{};        // empty: no file
  Environment environment{};        // usually kite_environment()
  std::vector<Setting> settings{};  // applied in order, after the environment
};

struct LoadResult {
  Config config;
  std::vector<std::string> errors;  // empty when the config is valid
  bool ok() const { return errors.empty(); }
};

LoadResult load_config(const LoadRequest& request);

// Defaults overlaid with `settings` alone (no file, no environment) and not validated: what
// `kited --print-default-config --mode production ...` prints, a template whose secrets the
// operator has yet to give. Unknown keys and bad values are still errors.
LoadResult load_defaults_with(const std::vector<Setting>& settings);

// Defaults overlaid with one TOML text, then validated; `source_name` stands for the file name.
LoadResult load_config_text(std::string_view toml, std::string_view source_name = "<config>");

// The KITE_* variables of this process.
Environment kite_environment();

}  // namespace kite::server::config
