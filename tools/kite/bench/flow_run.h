// The run of a scenario where messages flow (p2p, uplink), on ScenarioRun: once every device (and
// p2p's service) is connected it goes
//   Ready ──(the link's word)──> Warmup: sending ──(--warmup s)──> Measuring ──(--seconds s)──> end
// and counts what it sent, what completed its trip and what is in flight between the two, which
// make its progress lines and, within the measured window, its report.
#pragma once

#include <algorithm>
#include <cstdint>

#include "bench/scenario_run.h"

namespace kite::bench {

class FlowRun : public ScenarioRun {
 protected:
  using ScenarioRun::ScenarioRun;

  // Every sender is connected: Ready, then the phases above.
  void warm_up_then_measure();
  bool sending() const { return !done() && phase() >= Phase::Warmup; }
  bool measuring() const { return phase() == Phase::Measuring; }

  void count_sent() {
    ++sent_;
    ++in_flight_;
  }
  // p2p: a message reached its device; uplink: kited acknowledged one.
  void count_completed() {
    ++completed_;
    count_lost(1);
  }
  // Messages that will not complete (refused, or their connection closed).
  void count_lost(std::uint64_t messages) { in_flight_ -= std::min(messages, in_flight_); }
  std::uint64_t in_flight() const { return in_flight_; }

  // --- hooks ---
  // The warm-up begins: start sending.
  virtual void start_sending() = 0;
  // The measured window has just closed; the run ends after this.
  virtual void on_window_closed() {}
  // Messages sent so far, where the scenario counts them elsewhere (p2p --http).
  virtual std::uint64_t messages_sent() const { return sent_; }

  void count_progress(Progress& progress) const override;
  void complete_report(RunReport& report) override;

 private:
  void begin_measuring();
  void end_measuring();

  std::uint64_t sent_ = 0, completed_ = 0, in_flight_ = 0;
  std::uint64_t sent_at_start_ = 0, completed_at_start_ = 0;  // when the window opened
};

}  // namespace kite::bench
