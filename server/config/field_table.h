// The one table that binds each Config field to its TOML key, its range and its reference text.
//
// Everything that names a setting goes through this table: the TOML reader, the environment
// variables (KITE_<SECTION>_<KEY>), --set and the named flags, the range checks of validate(), the
// unknown-key suggestions and the commented default file. A field added to Config without a row
// here is invisible to all of them, and the round-trip test (default file == Config{}) catches a
// row whose default disagrees with the struct. Internal to server/config/.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.h"

namespace kite::server::config {

struct FieldSpec {
  std::string_view section;  // TOML table, e.g. "session"
  std::string_view key;      // key inside it, e.g. "max_frame"
  std::string_view doc;      // reference text; the first line is the summary used by --help
  bool secret = false;       // never echoed in messages; redacted when rendering
  std::string range;         // integers: "min..max", shown in the docs; others: empty

  // Each returns an empty string on success, else what was expected ("expected an integer ...").
  // The readers leave the config untouched when they fail.
  std::function<std::string(Config&, const toml::node&)> read_toml;
  std::function<std::string(Config&, std::string_view)> read_text;  // env, --set, flags
  std::function<std::string(const Config&)> check;                  // range of the current value
  std::function<std::string(const Config&)> write_toml;             // value as a TOML literal

  std::string path() const { return std::string(section) + "." + std::string(key); }
  std::string_view summary() const { return doc.substr(0, doc.find('\n')); }
};

// Rows in the order of the default file; sections appear in config_sections() order.
const std::vector<FieldSpec>& field_table();
const std::vector<std::string_view>& config_sections();
std::string_view section_doc(std::string_view section);
const FieldSpec* find_field(std::string_view section, std::string_view key);

// The candidate closest to `word` when it is a plausible typo of it, else an empty string.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kite::server::config
