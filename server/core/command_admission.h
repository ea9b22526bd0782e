// Whether a device's connection may take one more command (M6 of the 2026-12 review): commands
// leave at once, outside the delivery window, so without these checks a device that does not
// read would let every command payload pile up in the socket's write queue.
//
// Rules:
//  - At most max_pending_commands_per_device commands await one connection's replies.
//  - None is sent while the connection's write queue is above write_high_water_bytes: the
//    device is not reading, and the caller hears so (429) instead of adding to the pile.
//  - The server-wide cap (max_pending_commands) is counted by Server::send_command.
#pragma once

#include <cstddef>
#include <optional>

#include "core/command_table.h"
#include "core/server_context.h"

namespace kite::server {

// Nothing when the command may go, else the Busy outcome that says why.
std::optional<CommandOutcome> command_refusal(std::size_t pending_on_connection,
                                              std::size_t write_queue_bytes,
                                              const ServerContext& context);

}  // namespace kite::server
