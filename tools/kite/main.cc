// kite: the command-line tool. Subcommands: send (messages through the admin API), devices and
// device (who is online, one device's state), events (what devices do, from the event stream),
// listen and publish (act as a device: receive, send), keys (device keys and tokens), decode
// (print recordings and captures), replay (play them against kited), dict (zstd dictionaries),
// bench (load scenarios). Each command has a folder of that name whose
// command file registers its subcommands; what several commands share is in common/ (among it
// the exit codes, common/exit_code.h, listed in every --help) and flags/ (the options several
// take), and the protocol clients that bench and replay drive are in raw_client/.
#include <CLI/CLI.hpp>

#include <csignal>

#include "bench/bench_command.h"
#include "common/command.h"
#include "common/exit_code.h"
#include "decode/decode.h"
#include "devices/devices.h"
#include "dict/dict.h"
#include "events/events.h"
#include "keys/keys.h"
#include "kite/version.h"
#include "listen/listen.h"
#include "publish/publish.h"
#include "replay/replay.h"
#include "send/send.h"

namespace {

void set_footer_everywhere(CLI::App& app, const std::string& footer) {
  app.footer(footer);
  for (CLI::App* sub : app.get_subcommands({})) set_footer_everywhere(*sub, footer);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a server that resets a connection must not end the tool
  CLI::App app{
      "kite: send to devices, look at them and at what they do, act as one, make their keys, "
      "decode and replay recordings, train compression dictionaries, and measure a Kite "
      "server"};
  app.set_version_flag("--version", "kite " KITE_VERSION);
  app.require_subcommand(1);
  kite::cli::Commands commands;
  kite::cli::add_send_command(app, commands);
  kite::cli::add_devices_commands(app, commands);
  kite::cli::add_events_command(app, commands);
  kite::cli::add_listen_command(app, commands);
  kite::cli::add_publish_command(app, commands);
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
