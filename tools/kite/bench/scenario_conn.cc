// conn: connects `devices` devices, `concurrency` handshakes at a time, each closing as soon as
// its session is open: connect + authenticate rate and handshake latency.
#include "bench/scenario_run.h"
#include "bench/scenarios.h"

namespace kite::bench {
namespace {

class ConnRun final : public ScenarioRun {
 public:
  explicit ConnRun(const BenchOptions& options) : ScenarioRun(options, Scenario::Conn) {}

 private:
  void before_connecting() override { open_window(); }
  void on_opened(BenchClient& device) override {
    report().latency.record((uv_hrtime() - device.connect_started_ns()) / 1000);
    device.close();
  }
  void on_settled() override {
    close_window();
    finish();
  }
  void on_closed(BenchClient& device, const protocol::CloseInfo& info) override {
    if (device.connected_once()) return;  // our own close, right after the session opened
    count_close(device, info);
    device_failed();
  }
  void count_progress(Progress& progress) const override {
    progress.count = progress.connected = connector().opened_count();
  }
  void complete_report(RunReport& report) override { report.count = report.connected; }
};

}  // namespace

RunReport measure_conn(const BenchOptions& options) {
  return ConnRun(options).run();
}

}  // namespace kite::bench
