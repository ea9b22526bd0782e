// `kite devices` (the online devices, paged through GET /v1/devices) and `kite device ID`
// (GET /v1/devices/{id}).
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_devices_commands(CLI::App& app, Commands& commands);

}  // namespace kite::cli
