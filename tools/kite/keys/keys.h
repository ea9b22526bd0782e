// `kite keys derive` (device keys from the fleet master key) and `kite keys token` (signed,
// expiring device tokens), computed here with the protocol core kited checks them with.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_keys_commands(CLI::App& app, Commands& commands);

}  // namespace kite::cli
