// One process's run of a scenario, as every scenario (conn, idle, p2p, uplink, fanout) makes it:
//   setup     --host and --port into the target, --tls into the loop; what is wrong ends the run
//             before it starts (RunReport::setup_error);
//   devices   brought up --concurrency at a time (connector.h); their events go to the hooks
//             below, and on_settled() once every device has an outcome;
//   progress  once a second to the RunLink (run_link.h), which also says when to start;
//   failures  counted by kind (error_kind.h), the first five told on stderr;
//   the end   finish(): the loop stops, and the closes that follow are the run's own goodbyes,
//             which no scenario counts;
//   kited     its CPU seconds and memory (--server-pid), for the measured window.
// A scenario keeps only what it does with its devices; FlowRun (flow_run.h) adds the phases of
// those where messages flow.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bench/bench.h"
#include "bench/common.h"
#include "bench/connector.h"
#include "bench/progress.h"
#include "bench/run_link.h"
#include "bench/run_report.h"
#include "raw_client/client_loop.h"

namespace kite::bench {

class ScenarioRun {
 public:
  virtual ~ScenarioRun() = default;
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  // Runs the scenario to its end and returns what it measured. Once.
  RunReport run();

 protected:
  // `linked_as`: the scenario whose progress and start go through a RunLink; none for one that
  // runs alone and prints its own progress (fanout).
  ScenarioRun(const BenchOptions& options, std::optional<Scenario> linked_as,
              protocol::SessionConfig config = client_config());

  // --- hooks ---
  // Before the first device connects (the link exists by then): the scenario's own timers.
  virtual void before_connecting() {}
  // A device's session opened; the connector is told afterwards.
  virtual void on_opened(BenchClient&) {}
  // Every device has an outcome (opened, or failed: device_failed()). Once.
  virtual void on_settled() {}
  virtual void on_message(BenchClient&, const protocol::IncomingMessage&) {}
  virtual void on_writable(BenchClient&) {}
  virtual void on_acked(BenchClient&, std::uint64_t /*seq*/) {}
  virtual void on_error(BenchClient&, protocol::Reason, std::uint64_t /*ref*/) {}
  // A device's connection ended before finish().
  virtual void on_closed(BenchClient& device, const protocol::CloseInfo& info) = 0;
  // The scenario's figures in this second's progress (phase, devices and errors are filled in).
  virtual void count_progress(Progress&) const {}
  // After the loop has stopped: the scenario's counts into the report (`connected` is set).
  virtual void complete_report(RunReport&) {}
  // finish() was called: stop what runs beside the loop (threads).
  virtual void on_finish() {}

  // --- for the scenarios ---
  // Ends the run: the loop stops after this turn.
  void finish();
  bool done() const { return done_; }
  Phase phase() const { return phase_; }
  void set_phase(Phase phase) { phase_ = phase; }
  // Ready: once the link says so (at once alone, on the parent's word in a child of
  // --processes), `start` runs.
  void start_when_ready(std::function<void()> start);
  // idle: `done` runs after --seconds, or on the parent's word in a child of --processes.
  void hold(std::function<void()> done);
  // The measured window opens or closes now: the time, and kited's CPU seconds.
  void open_window();
  void close_window();

  // A device that did not connect: the connector makes room for the next one.
  void device_failed();
  // Counts `client`'s close as a failure of its kind and tells the user; returns the kind.
  std::string count_close(const BenchClient& client, const protocol::CloseInfo& info);
  // Counts an Error frame kited sent `who` about one message.
  void count_error_frame(const std::string& who, protocol::Reason reason);
  // For the scenarios that need every device (p2p, fanout): one that never connected leaves the
  // run short of what was asked, so it stops rather than hang.
  void stop_if_never_connected(const BenchClient& device);

  double server_cpu() const;         // kited's CPU seconds so far; 0 without --server-pid
  std::uint64_t server_rss() const;  // kited's resident bytes; 0 without --server-pid

  const BenchOptions& options() const { return options_; }
  ClientLoop& loop() { return loop_; }
  const Connector& connector() const { return connector_; }
  const sockaddr_storage& target() const { return target_; }
  RunReport& report() { return report_; }
  const RunReport& report() const { return report_; }

 private:
  void device_opened(BenchClient& device);
  void settle();
  void send_progress();

  const BenchOptions& options_;
  std::optional<Scenario> linked_as_;
  ClientLoop loop_;
  sockaddr_storage target_{};
  ClientEvents device_events_;
  Connector connector_;
  std::unique_ptr<RunLink> link_;
  RunReport report_;
  Phase phase_ = Phase::Connecting;
  bool settled_ = false;
  bool done_ = false;
};

}  // namespace kite::bench
