#include "bench/flow_run.h"

namespace kite::bench {
namespace {

std::uint64_t milliseconds(double seconds) {
  return static_cast<std::uint64_t>(seconds * 1000);
}

}  // namespace

void FlowRun::warm_up_then_measure() {
  start_when_ready([this] {
    set_phase(Phase::Warmup);
    loop().after(milliseconds(options().warmup), [this] { begin_measuring(); });
    start_sending();
  });
}

void FlowRun::begin_measuring() {
  set_phase(Phase::Measuring);
  open_window();
  sent_at_start_ = messages_sent();
  completed_at_start_ = completed_;
  loop().after(milliseconds(options().seconds), [this] { end_measuring(); });
}

void FlowRun::end_measuring() {
  close_window();
  on_window_closed();
  finish();
}

void FlowRun::count_progress(Progress& progress) const {
  progress.connected = connector().opened_count();
  progress.count = completed_;
  progress.in_flight = in_flight_;
}

void FlowRun::complete_report(RunReport& report) {
  if (report.ended_ns == 0) return;  // stopped before the window closed: nothing measured
  report.count = completed_ - completed_at_start_;
  report.sent = messages_sent() - sent_at_start_;
}

}  // namespace kite::bench
