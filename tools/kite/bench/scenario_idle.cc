// idle: connects `devices` devices, `concurrency` handshakes at a time, and holds them for
// `seconds` (as a child of --processes: until the parent says stop), keeping them alive; the
// server's resident memory per connection comes from --server-pid.
#include "bench/scenario_run.h"
#include "bench/scenarios.h"

namespace kite::bench {
namespace {

class IdleRun final : public ScenarioRun {
 public:
  explicit IdleRun(const BenchOptions& options) : ScenarioRun(options, Scenario::Idle) {}

 private:
  void before_connecting() override { report().server_rss_before = server_rss(); }
  void on_opened(BenchClient& device) override {
    ++open_now_;
    report().latency.record((uv_hrtime() - device.connect_started_ns()) / 1000);
  }
  void on_settled() override {
    start_when_ready([this] {
      set_phase(Phase::Holding);
      report().started_ns = steady_ns();
      hold([this] {
        report().server_rss_after = server_rss();
        report().ended_ns = steady_ns();
        set_phase(Phase::Done);
        finish();
      });
    });
  }
  void on_closed(BenchClient& device, const protocol::CloseInfo& info) override {
    count_close(device, info);
    if (device.connected_once()) {
      --open_now_;
      return;
    }
    device_failed();
  }
  void count_progress(Progress& progress) const override {
    progress.count = progress.connected = open_now_;
  }
  void complete_report(RunReport& report) override { report.count = open_now_; }

  std::uint64_t open_now_ = 0;  // sessions open now
};

}  // namespace

RunReport measure_idle(const BenchOptions& options) {
  return IdleRun(options).run();
}

}  // namespace kite::bench
