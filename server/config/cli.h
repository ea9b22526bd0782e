// kited's command line: what to do, and the final Config with the flags applied on top of the
// file and the environment (load.h). Usage problems and config errors both end in Action::error
// with exit code 2 and every error listed; nothing is printed here, main prints.
//
//   kited [--config FILE] [--print-default-config] [--check-config] [--version] [--help]
//         [named flags such as --workers N] [--set section.key=value ...]
//
// --help, --version and --print-default-config do not read the config file or the environment.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/load.h"

namespace kite::server::config {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;  // bad flags or an invalid configuration

enum class Action {
  run,                   // start the server with `config`
  print_default_config,  // print render_config_toml(config) to stdout, exit 0
  check_config,          // `config` is valid: say so, exit 0
  version,               // print `text`, exit 0
  help,                  // print `text`, exit 0
  error,                 // print `errors` to stderr, exit `exit_code`
};

struct CommandLine {
  Action action = Action::run;
  Config config;                    // the final config, for run and check_config
  std::string config_file;          // --config, else $KITE_CONFIG; empty: defaults only
  std::vector<std::string> errors;  // for Action::error, one line each
  std::string text;                 // the help text or the version line
  int exit_code = kExitOk;
};

CommandLine parse_command_line(int argc, char** argv);  // with kite_environment()
CommandLine parse_command_line(int argc, char** argv, const Environment& environment);

}  // namespace kite::server::config
