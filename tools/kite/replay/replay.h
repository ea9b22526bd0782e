// `kite replay FILE...`: plays every device connection of Kite recordings and tcpdump captures
// against a live kited: each becomes a virtual device that authenticates afresh and re-issues
// its captured uplink messages at their captured pace (replay_device.h says how each message
// kind is mapped), then reports per device what was sent, received and acknowledged.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_replay_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
