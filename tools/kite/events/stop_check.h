// The two reasons `kite events` stops before -C is reached, checked between reads by the stream
// and the long-poll alike, with the line each says on stderr: SIGINT or SIGTERM (exit 0, as kite
// listen) and -W running out (exit 1: giving up).
#pragma once

#include <optional>

#include "common/deadline.h"
#include "events/event_printer.h"

namespace kite::cli {

// The exit code to stop with, or nullopt to read on.
std::optional<int> stop_check(const Deadline& deadline, const EventPrinter& printer);

}  // namespace kite::cli
