// `kite listen`: kite acts as one device (as mosquitto_sub does for MQTT) with the device SDK,
// kite::Client: prints the messages kited sends it, answers commands with a script, joins groups.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_listen_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
