// `kite events`: kited's device events (uplinks, connects, disconnects, delivery receipts) from
// GET /v1/events on the admin API, one JSON object per line: followed as a stream (the
// default), long-polled (--poll), or what is held now (--once).
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_events_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
