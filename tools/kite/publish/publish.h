// `kite publish`: kite acts as one device (as mosquitto_pub does for MQTT) with the device SDK,
// kite::Client, and sends uplink messages: one given as an argument, or one per line of stdin.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_publish_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
