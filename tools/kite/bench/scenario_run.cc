#include "bench/scenario_run.h"

#include <fmt/format.h>

#include <utility>

#include "bench/error_kind.h"
#include "bench/process_stats.h"

namespace kite::bench {

ScenarioRun::ScenarioRun(const BenchOptions& options, std::optional<Scenario> linked_as,
                         protocol::SessionConfig config)
    : options_(options),
      linked_as_(linked_as),
      loop_(config),
      connector_(options, loop_, target_, device_events_) {
  report_.devices = options.devices;
  device_events_.opened = [this](BenchClient& c) { device_opened(c); };
  device_events_.message = [this](BenchClient& c, const protocol::IncomingMessage& m) {
    on_message(c, m);
  };
  device_events_.writable = [this](BenchClient& c) { on_writable(c); };
  device_events_.acked = [this](BenchClient& c, std::uint64_t seq) { on_acked(c, seq); };
  device_events_.error = [this](BenchClient& c, protocol::Reason reason, std::uint64_t ref) {
    on_error(c, reason, ref);
  };
  device_events_.closed = [this](BenchClient& c, const protocol::CloseInfo& info) {
    if (!done_) on_closed(c, info);  // after finish(): the run's own goodbyes
  };
}

RunReport ScenarioRun::run() {
  report_.setup_error = prepare_connections(options_, loop_, target_);
  if (!report_.setup_error.empty()) return std::move(report_);
  if (linked_as_) link_ = make_run_link(*linked_as_, options_, loop_);
  before_connecting();
  if (link_) loop_.every(1000, [this] { send_progress(); });
  connector_.more();
  loop_.run();
  report_.connected = connector_.opened_count();
  complete_report(report_);
  return std::move(report_);
}

void ScenarioRun::finish() {
  done_ = true;
  on_finish();
  loop_.stop();
}

void ScenarioRun::start_when_ready(std::function<void()> start) {
  phase_ = Phase::Ready;
  link_->ready(std::move(start));
}

void ScenarioRun::hold(std::function<void()> done) {
  link_->hold(options_.seconds, std::move(done));
}

void ScenarioRun::open_window() {
  report_.started_ns = steady_ns();
  report_.server_cpu_at_start = server_cpu();
}

void ScenarioRun::close_window() {
  report_.ended_ns = steady_ns();
  report_.server_cpu_at_end = server_cpu();
}

void ScenarioRun::device_opened(BenchClient& device) {
  on_opened(device);
  connector_.opened();
  settle();
}

void ScenarioRun::device_failed() {
  connector_.failed();
  settle();
}

// Opening or failing one device may start the next, whose connect can fail at once and land
// here again: on_settled() runs on whichever call sees the last outcome.
void ScenarioRun::settle() {
  if (settled_ || !connector_.settled()) return;
  settled_ = true;
  on_settled();
}

std::string ScenarioRun::count_close(const BenchClient& client, const protocol::CloseInfo& info) {
  std::string kind = close_kind(client, info);
  report_.errors.add(kind);
  say_failure(options_, report_.errors.total(), client.id(), kind, info.message);
  return kind;
}

void ScenarioRun::count_error_frame(const std::string& who, protocol::Reason reason) {
  const std::string kind = error_frame_kind(reason);
  report_.errors.add(kind);
  say_failure(options_, report_.errors.total(), who, kind, "");
}

void ScenarioRun::stop_if_never_connected(const BenchClient& device) {
  if (device.connected_once()) return;
  fmt::print(stderr, "{}: a device could not connect; stopping\n", speaker(options_));
  finish();
}

double ScenarioRun::server_cpu() const {
  if (!options_.server_pid) return 0;
  double total = cpu_seconds(options_.server_pid).value_or(0);
  for (int pid : options_.also_pids) total += cpu_seconds(pid).value_or(0);
  return total;
}

std::uint64_t ScenarioRun::server_rss() const {
  return options_.server_pid ? resident_bytes(options_.server_pid).value_or(0) : 0;
}

void ScenarioRun::send_progress() {
  Progress p;
  p.phase = phase_;
  p.devices = options_.devices;
  p.errors = report_.errors.total();
  count_progress(p);
  link_->progress(p, report_.latency);
}

}  // namespace kite::bench
