#include "config/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string_view>

#include "config/field_table.h"
#include "kite/version.h"

namespace kite::server::config {
namespace {

constexpr std::string_view kFooter =
    R"(Precedence, highest first: flags, environment, config file, built-in defaults.
  Named flags are applied after --set, so they win over it. A list set by a
  higher layer replaces the lower one.

Environment: every key section.key is also KITE_<SECTION>_<KEY>, upper-cased:
  KITE_SESSION_MAX_FRAME=1048576, KITE_ADMIN_TOKEN=..., lists comma-separated:
  KITE_SERVER_DEVICE_LISTEN="127.0.0.1:7000,[::1]:7000". KITE_CONFIG=FILE stands
  for --config. Prefer the environment or files for secrets: flags show in ps.

Every key, its default and its range: kited --print-default-config

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.

Examples:
  kited --print-default-config > kited.toml
  kited --print-default-config --mode production --data-dir /var/lib/kite > kited.toml
  kited --config kited.toml --check-config
  KITE_ADMIN_TOKEN=$(cat /etc/kite/admin-token) kited --config kited.toml \
      --mode production --device-listen 0.0.0.0:7000 --device-listen [::]:7000 \
      --set session.max_frame=1048576)";

// A flag that sets one key; its help is the key's summary from the field table.
struct NamedFlag {
  std::string_view flag;
  std::string_view key;
  std::string_view type_name;
};

constexpr NamedFlag kNamedFlags[] = {{"--mode", "server.mode", "MODE"},
                                     {"--device-listen", "server.device_listen", "HOST:PORT"},
                                     {"--admin-listen", "server.admin_listen", "HOST:PORT"},
                                     {"--data-dir", "server.data_dir", "DIR"},
                                     {"--workers", "server.workers", "N"},
                                     {"--master-key-file", "auth.master_key_file", "FILE"},
                                     {"--device-keys-file", "auth.device_keys_file", "FILE"},
                                     {"--admin-token", "admin.token", "TOKEN"},
                                     {"--store-engine", "store.engine", "ENGINE"},
                                     {"--durability", "store.durability", "MODE"},
                                     {"--log-level", "log.level", "LEVEL"},
                                     {"--log-format", "log.format", "FORMAT"}};

std::string flag_help(std::string_view key) {
  auto dot = key.find('.');
  const FieldSpec* field = find_field(key.substr(0, dot), key.substr(dot + 1));
  std::string help = fmt::format("{} [{}", field->summary(), key);
  if (!field->range.empty()) help += ", " + field->range;
  if (key == "server.device_listen") help += ", repeatable";
  return help + "]";
}

std::string lookup(const Environment& environment, std::string_view name) {
  for (const auto& [key, value] : environment) {
    if (key == name) return value;
  }
  return {};
}

CommandLine error(std::vector<std::string> errors) {
  CommandLine result;
  result.action = Action::error;
  result.errors = std::move(errors);
  result.exit_code = kExitUsage;
  return result;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  return parse_command_line(argc, argv, kite_environment());
}

CommandLine parse_command_line(int argc, char** argv, const Environment& environment) {
  CLI::App app{
      "kited: the Kite push server. Devices dial in and stay connected; backends send\n"
      "to them through the HTTP admin API or the binary protocol.",
      "kited"};
  app.footer(std::string(kFooter));
  app.get_formatter()->column_width(30);

  std::string config_file;
  bool print_default = false, check = false, version = false;
  std::vector<std::string> sets;
  app.add_option("-c,--config", config_file, "TOML config file (default: none, or $KITE_CONFIG)")
      ->type_name("FILE");
  app.add_flag(
      "--print-default-config", print_default,
      "Print every key, its default and its meaning as TOML, with the flags and --set given "
      "applied (not the environment or a file); exit");
  app.add_flag("--check-config", check,
               "Load and validate the configuration, list all problems; exit");
  app.add_flag("--version", version, "Print the version; exit");
  constexpr std::size_t kFlagCount = std::size(kNamedFlags);
  std::string values[kFlagCount];
  CLI::Option* options[kFlagCount];
  for (std::size_t i = 0; i < kFlagCount; ++i) {
    const NamedFlag& flag = kNamedFlags[i];
    options[i] = app.add_option(std::string(flag.flag), values[i], flag_help(flag.key))
                     ->type_name(std::string(flag.type_name));
    if (flag.key == "server.device_listen") {  // repeatable: occurrences join into one list
      options[i]->multi_option_policy(CLI::MultiOptionPolicy::Join)->delimiter(',');
    }
  }
  app.add_option("--set", sets, "Set any key (see --print-default-config) [repeatable]")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    CommandLine help;
    help.action = Action::help;
    help.text = app.help();
    return help;
  } catch (const CLI::ParseError& e) {
    return error({fmt::format("{} (see kited --help)", e.what())});
  }

  CommandLine result;
  if (version) {
    result.action = Action::version;
    result.text = fmt::format("kited {}", KITE_VERSION);
    return result;
  }

  LoadRequest request;
  for (const auto& set : sets) {
    auto equals = set.find('=');
    if (equals == std::string::npos) {
      return error({fmt::format("--set {}: expected section.key=value", set)});
    }
    request.settings.push_back({set.substr(0, equals), set.substr(equals + 1), "--set"});
  }
  for (std::size_t i = 0; i < kFlagCount; ++i) {
    if (options[i]->count() == 0) continue;
    const NamedFlag& flag = kNamedFlags[i];
    request.settings.push_back({std::string(flag.key), values[i], std::string(flag.flag)});
  }
  if (print_default) {
    // Flags and --set only, never the environment or a file: the same command prints the same
    // template wherever it runs (the Debian package's /etc/kite/kited.toml is made this way).
    LoadResult defaults = load_defaults_with(request.settings);
    if (!defaults.ok()) return error(std::move(defaults.errors));
    result.action = Action::print_default_config;
    result.config = std::move(defaults.config);
    return result;
  }

  request.config_file = config_file.empty() ? lookup(environment, "KITE_CONFIG") : config_file;
  request.environment = environment;
  LoadResult loaded = load_config(request);
  if (!loaded.ok()) return error(std::move(loaded.errors));
  result.action = check ? Action::check_config : Action::run;
  result.config = std::move(loaded.config);
  result.config_file = request.config_file;
  return result;
}

}  // namespace kite::server::config
