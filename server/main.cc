// kited: reads its command line and configuration, answers --help, --version,
// --print-default-config and --check-config, and otherwise runs (boot/run.h).
#include <iostream>

#include "boot/run.h"
#include "config/cli.h"
#include "config/compression_settings.h"
#include "config/default_config.h"

namespace {

using namespace kite::server;
namespace cfg = kite::server::config;

}  // namespace

int main(int argc, char** argv) {
  auto command = cfg::parse_command_line(argc, argv);
  switch (command.action) {
    case cfg::Action::help:
    case cfg::Action::version:
      std::cout << command.text << (command.text.ends_with('\n') ? "" : "\n");
      return cfg::kExitOk;
    case cfg::Action::print_default_config:
      std::cout << cfg::render_config_toml(command.config, false);
      return cfg::kExitOk;
    case cfg::Action::check_config: {
      // The dictionary is read here, not by validate(): a SIGHUP reload would otherwise depend
      // on a file kited no longer reads once started.
      kite::protocol::SessionConfig session;
      if (auto error = cfg::apply_compression(command.config.compression, session);
          !error.empty()) {
        std::cerr << "kited: compression.dictionary_file: " << error << "\n";
        return cfg::kExitUsage;
      }
      std::cout << "kited: configuration is valid\n";
      return cfg::kExitOk;
    }
    case cfg::Action::error:
      for (const auto& error : command.errors) std::cerr << "kited: " << error << "\n";
      return command.exit_code;
    case cfg::Action::run:
      break;
  }
  return boot::run(std::move(command.config), command.config_file, argc, argv);
}
