#include "config/default_config.h"

#include <fmt/format.h>

#include <string_view>

#include "config/field_table.h"
#include "config/webhooks_config.h"

namespace kite::server::config {
namespace {

constexpr std::string_view kPreamble =
    "kited configuration. Every key is listed; `kited --print-default-config` prints\n"
    "them with their defaults. Check a file with `kited --config kited.toml --check-config`.\n"
    "Unknown keys are errors.\n"
    "\n"
    "Precedence, highest first: command-line flags, environment, this file, defaults.\n"
    "Environment: KITE_<SECTION>_<KEY>, e.g. KITE_SESSION_MAX_FRAME=1048576; lists are\n"
    "comma-separated: KITE_SERVER_DEVICE_LISTEN=\"127.0.0.1:7000,[::1]:7000\".\n"
    "Command line: --set section.key=value, or a named flag (kited --help).\n"
    "A list set by a higher layer replaces the lower one. Durations are in milliseconds,\n"
    "sizes in bytes. Secrets (auth.master_key, auth.token_key, admin.token) are best given\n"
    "through files or the environment rather than written here; [[admin.tokens]] entries\n"
    "can name a token by its SHA-256 (token_sha256) instead.";

void append_comment(std::string& out, std::string_view text) {
  while (true) {
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    out += line.empty() ? "#\n" : fmt::format("# {}\n", line);
    if (newline == std::string_view::npos) return;
    text.remove_prefix(newline + 1);
  }
}

}  // namespace

std::string render_config_toml(const Config& config, bool redact_secrets) {
  std::string out;
  append_comment(out, kPreamble);
  // Top-level keys come before the first [section] in TOML.
  out += '\n';
  append_comment(out, webhooks_doc());
  out += fmt::format("webhooks = {}\n", write_webhooks(config, redact_secrets));
  for (std::string_view section : config_sections()) {
    out += '\n';
    append_comment(out, section_doc(section));
    out += fmt::format("[{}]\n", section);
    for (const auto& field : field_table()) {
      if (field.section != section) continue;
      auto value = field.write_toml(config);
      if (redact_secrets && field.secret && value != "\"\"" && value != "[]")
        value = "\"<redacted>\"";
      append_comment(out, field.doc);
      if (!field.range.empty()) append_comment(out, fmt::format("Range {}.", field.range));
      out += fmt::format("{} = {}\n\n", field.key, value);
    }
    out.pop_back();
  }
  return out;
}

std::string default_config_toml() {
  return render_config_toml(Config{}, false);
}

}  // namespace kite::server::config
