#include "events/stop_check.h"

#include "common/exit_code.h"
#include "common/stop_signals.h"

namespace kite::cli {

std::optional<int> stop_check(const Deadline& deadline, const EventPrinter& printer) {
  if (stop_requested()) {
    say_events(std::string(stop_signal_name()) + ": stopping after " + printer.tally());
    return kExitOk;
  }
  if (deadline.passed()) {
    say_events("gave up after " + waited_text(deadline.timeout_ms()) + " (-W): " + printer.tally() +
               " received");
    return kExitFailed;
  }
  return std::nullopt;
}

}  // namespace kite::cli
