// kite: the command-line tool. Subcommands: send (messages through the admin API), devices and
// device (who is online, one device's state), listen (act as a device), keys (device keys and
// tokens), decode (print recordings and captures), replay (play them against kited), dict
// (zstd dictionaries), bench (load scenarios). Each command file
// registers its own subcommands; the exit codes are shared (cli/exit_code.h) and listed in every
// --help.
#include <CLI/CLI.hpp>

#include <csignal>

#include "cli/bench_command.h"
#include "cli/command.h"
#include "cli/decode.h"
#include "cli/devices.h"
#include "cli/dict.h"
#include "cli/exit_code.h"
#include "cli/keys.h"
#include "cli/listen.h"
#include "cli/replay.h"
#include "cli/send.h"

namespace {

void set_footer_everywhere(CLI::App& app, const std::string& footer) {
  app.footer(footer);
  for (CLI::App* sub : app.get_subcommands({})) set_footer_everywhere(*sub, footer);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a server that resets a connection must not end the tool
  CLI::App app{
      "kite: send to devices, look at them, act as one, make their keys, decode and replay "
      "recordings, "
      "train compression dictionaries, and measure a Kite server"};
  app.require_subcommand(1);
  kite::cli::Commands commands;
  kite::cli::add_send_command(app, commands);
  kite::cli::add_devices_commands(app, commands);
  kite::cli::add_listen_command(app, commands);
  kite::cli::add_keys_commands(app, commands);
  kite::cli::add_decode_command(app, commands);
  kite::cli::add_replay_command(app, commands);
  kite::cli::add_dict_commands(app, commands);
  kite::cli::add_bench_commands(app, commands);
  set_footer_everywhere(app, kite::cli::kExitCodesHelp);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kite::cli::kExitOk : kite::cli::kExitUsage;
  }
  for (const auto& command : commands)
    if (*command.app) return command.run();
  return kite::cli::kExitUsage;  // not reached: require_subcommand(1) all the way down
}
