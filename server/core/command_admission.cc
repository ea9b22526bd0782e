// Command admission; see command_admission.h.
#include "core/command_admission.h"

#include <fmt/format.h>

namespace kite::server {

std::optional<CommandOutcome> command_refusal(std::size_t pending_on_connection,
                                              std::size_t write_queue_bytes,
                                              const ServerContext& context) {
  const CoreOptions& options = context.options;
  if (pending_on_connection >= options.max_pending_commands_per_device)
    return CommandOutcome{CommandOutcome::Kind::Busy,
                          0,
                          {},
                          fmt::format("the device has {} commands awaiting replies",
                                      options.max_pending_commands_per_device)};
  if (write_queue_bytes > options.write_high_water_bytes)
    return CommandOutcome{CommandOutcome::Kind::Busy,
                          0,
                          {},
                          fmt::format("the device is not reading: {} bytes wait to be sent to it",
                                      write_queue_bytes)};
  return std::nullopt;
}

}  // namespace kite::server
