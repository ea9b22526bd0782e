#include "config/load.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "config/field_table.h"
#include "config/toml_text.h"
#include "config/validate.h"
#include "config/webhooks_config.h"

extern char** environ;

namespace kite::server::config {
namespace {

constexpr std::string_view kEnvPrefix = "KITE_";

std::string ascii_case(std::string_view text, int (*convert)(int)) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(convert(static_cast<unsigned char>(c)));
  return out;
}

std::string env_name(const FieldSpec& field) {
  return ascii_case(fmt::format("{}{}_{}", kEnvPrefix, field.section, field.key), ::toupper);
}

bool is_section(std::string_view name) {
  const auto& sections = config_sections();
  return std::find(sections.begin(), sections.end(), name) != sections.end();
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto match = closest_match(word, candidates);
  return match.empty() ? std::string() : fmt::format(" (did you mean {}?)", toml_quoted(match));
}

// "session.max_frmae" -> a suggestion: the closest key, or the same key in another section.
std::string suggest_key(std::string_view section, std::string_view key) {
  std::vector<std::string> paths;
  for (const auto& field : field_table()) {
    if (field.key == key) return fmt::format(" (did you mean {}?)", toml_quoted(field.path()));
    paths.push_back(field.path());
  }
  return did_you_mean(fmt::format("{}.{}", section, key), paths);
}

std::string location(std::string_view source, const toml::source_region& region) {
  if (region.begin.line == 0) return std::string(source);
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

// Applies one layer at a time to a Config and remembers where each key's value came from.
class Loader {
 public:
  bool apply_file(const std::string& path) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) {
      return fail(path, "cannot read: is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(path, fmt::format("cannot read: {}", std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    return apply_toml(text.str(), path);
  }

  // The Debian toml++ library is built with exceptions: a syntax error arrives as parse_error.
  bool apply_toml(std::string_view text, std::string_view source) {
    toml::table root;
    try {
      root = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
      return fail(location(source, error.source()),
                  fmt::format("invalid TOML: {}", error.description()));
    }
    for (const Entry& entry : entries_in_file_order(root)) {
      if (entry.section) {
        apply_key(entry.section->str(), *entry.key, *entry.node, source);
      } else if (entry.key->str() == "webhooks") {  // top-level [[webhooks]] tables
        const std::string at = location(source, entry.node->source());
        if (auto problem = read_webhooks(config_, *entry.node); problem.empty())
          origins_["webhooks"] = at;
        else
          fail(at, (problem.starts_with('[') ? "webhooks" : "webhooks: ") + problem);
      } else {
        reject_top_level(*entry.key, *entry.node, source);
      }
    }
    return true;
  }

  void apply_environment(const Environment& environment) {
    for (const auto& [name, value] : environment) {
      if (!name.starts_with(kEnvPrefix)) continue;
      std::string_view rest = std::string_view(name).substr(kEnvPrefix.size());
      auto split = rest.find('_');
      auto section = ascii_case(rest.substr(0, split), ::tolower);
      if (split == std::string_view::npos || !is_section(section)) continue;
      auto key = ascii_case(rest.substr(split + 1), ::tolower);
      auto origin = "environment " + name;
      if (const FieldSpec* field = find_field(section, key)) {
        apply_text(*field, value, origin);
      } else {
        std::vector<std::string> names;
        for (const auto& f : field_table()) names.push_back(env_name(f));
        fail(origin, "unknown setting" + did_you_mean(name, names));
      }
    }
  }

  void apply_setting(const Setting& setting) {
    auto dot = setting.key.find('.');
    std::string section = setting.key.substr(0, dot);
    std::string key = dot == std::string::npos ? "" : setting.key.substr(dot + 1);
    if (const FieldSpec* field = find_field(section, key)) {
      apply_text(*field, setting.value, setting.origin);
    } else {
      fail(setting.origin,
           fmt::format("unknown key {}{}", toml_quoted(setting.key), suggest_key(section, key)));
    }
  }

  LoadResult finish(bool validate_config) && {
    if (validate_config) {
      for (const auto& problem : validate(config_)) {
        // "device.deny[2]" came from where "device.deny" was set.
        auto origin = origins_.find(problem.key.substr(0, problem.key.find('[')));
        if (origin == origins_.end()) {
          errors_.push_back(fmt::format("{}: {}", problem.key, problem.message));
        } else {
          errors_.push_back(
              fmt::format("{}: {}: {}", origin->second, problem.key, problem.message));
        }
      }
    }
    return LoadResult{std::move(config_), std::move(errors_)};
  }

 private:
  // A key of a known section, or (section == nullptr) a top-level key that is not a section.
  struct Entry {
    const toml::key* section;
    const toml::key* key;
    const toml::node* node;
  };

  // toml::table iterates in key order; errors read best in file order.
  static std::vector<Entry> entries_in_file_order(const toml::table& root) {
    std::vector<Entry> entries;
    for (auto&& [name, node] : root) {
      if (is_section(name.str()) && node.is_table()) {
        for (auto&& [key, value] : *node.as_table()) entries.push_back({&name, &key, &value});
      } else {
        entries.push_back({nullptr, &name, &node});
      }
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      const auto &x = a.key->source().begin, &y = b.key->source().begin;
      return std::tie(x.line, x.column) < std::tie(y.line, y.column);
    });
    return entries;
  }

  void reject_top_level(const toml::key& name, const toml::node& node, std::string_view source) {
    auto at = location(source, name.source());
    if (is_section(name.str())) {
      fail(at, fmt::format("{}: expected a table, got {}", name.str(), describe_node(node)));
    } else {
      std::vector<std::string> sections(config_sections().begin(), config_sections().end());
      fail(at, fmt::format("unknown section {}{}", toml_quoted(name.str()),
                           did_you_mean(name.str(), sections)));
    }
  }

  void apply_key(std::string_view section, const toml::key& key, const toml::node& node,
                 std::string_view source) {
    const FieldSpec* field = find_field(section, key.str());
    if (!field) {
      fail(location(source, key.source()),
           fmt::format("unknown key {}{}", toml_quoted(fmt::format("{}.{}", section, key.str())),
                       suggest_key(section, key.str())));
      return;
    }
    record(*field, field->read_toml(config_, node), location(source, node.source()));
  }

  void apply_text(const FieldSpec& field, std::string_view value, const std::string& origin) {
    record(field, field.read_text(config_, value), origin);
  }

  void record(const FieldSpec& field, const std::string& problem, const std::string& origin) {
    if (problem.empty()) {
      origins_[field.path()] = origin;
    } else {
      fail(origin, fmt::format("{}: {}", field.path(), problem));
    }
  }

  bool fail(std::string_view origin, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", origin, message));
    return false;
  }

  Config config_;
  std::vector<std::string> errors_;
  std::map<std::string, std::string> origins_;  // "section.key" -> where its value came from
};

}  // namespace

LoadResult load_config(const LoadRequest& request) {
  Loader loader;
  bool file_read = request.config_file.empty() || loader.apply_file(request.config_file);
  loader.apply_environment(request.environment);
  for (const auto& setting : request.settings) loader.apply_setting(setting);
  return std::move(loader).finish(file_read);
}

LoadResult load_defaults_with(const std::vector<Setting>& settings) {
  Loader loader;
  for (const auto& setting : settings) loader.apply_setting(setting);
  return std::move(loader).finish(false);
}

LoadResult load_config_text(std::string_view toml, std::string_view source_name) {
  Loader loader;
  bool parsed = loader.apply_toml(toml, source_name);
  return std::move(loader).finish(parsed);
}

Environment kite_environment() {
  Environment environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text = *entry;
    auto equals = text.find('=');
    if (!text.starts_with(kEnvPrefix) || equals == std::string_view::npos) continue;
    environment.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  return environment;
}

}  // namespace kite::server::config
