#include "common/stop_signals.h"

#include <csignal>
#include <ctime>

namespace kite::cli {
namespace {

volatile std::sig_atomic_t received_signal = 0;

void note_signal(int signum) {
  received_signal = signum;
  // The next one gets the default action: kite ends at once.
  std::signal(signum, SIG_DFL);
}

}  // namespace

void watch_stop_signals() {
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() {
  return received_signal;
}

const char* stop_signal_name() {
  return received_signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

bool sleep_unless_stopped(std::uint64_t ms) {
  constexpr std::uint64_t kStepMs = 50;
  while (ms > 0 && !stop_requested()) {
    const std::uint64_t step = ms < kStepMs ? ms : kStepMs;
    timespec pause{0, static_cast<long>(step) * 1'000'000};
    nanosleep(&pause, nullptr);
    ms -= step;
  }
  return !stop_requested();
}

}  // namespace kite::cli
