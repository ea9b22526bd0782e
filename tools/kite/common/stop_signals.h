// SIGINT and SIGTERM as a request to stop, for the commands that run until told to (kite events,
// kite publish) without a libuv loop to watch signals for them: the handler only notes the
// signal, and since it is installed without SA_RESTART a blocking poll() or recv() returns
// EINTR, so the command sees the request at once and ends as it would at -C (exit 0), saying so.
// A second signal ends the process at once, should stopping hang.
#pragma once

#include <cstdint>

namespace kite::cli {

// Installs the handlers (once per process).
void watch_stop_signals();

// SIGINT or SIGTERM when one has arrived since watch_stop_signals(), else 0.
int stop_signal();
inline bool stop_requested() {
  return stop_signal() != 0;
}

// "SIGINT" or "SIGTERM".
const char* stop_signal_name();

// Sleeps `ms`, in short steps so that a stop request cuts it short; false when it did.
bool sleep_unless_stopped(std::uint64_t ms);

}  // namespace kite::cli
