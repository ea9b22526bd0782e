// `kite send`: messages to a device, a list, a group or everyone, through the admin API.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_send_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
