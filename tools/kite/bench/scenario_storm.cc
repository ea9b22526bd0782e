// storm: --devices SDK clients (storm_fleet.h) connect, --connect-rate a second; once every one
// is connected (in every process: the parent's start word), the run lasts --seconds, in which a
// backend sends them messages through the admin API (storm_downlink.h) and they publish uplink,
// while a script drains or kills kited and starts it again (tests/bench/storm). The run counts
// each session that opens, when, and whether kited resumed it. After --seconds the traffic
// stops and the run waits up to --settle seconds for the fleet to be whole again (every device
// connected, its uplink confirmed, every accepted downlink message handed to its app) before it
// reports: what is still missing then is lost.
#include <fmt/format.h>

#include <cmath>

#include "bench/common.h"
#include "bench/run_link.h"
#include "bench/scenarios.h"
#include "bench/storm_downlink.h"
#include "bench/storm_fleet.h"

namespace kite::bench {
namespace {

constexpr std::uint64_t kStartTickMs = 10;  // clients are started in small batches this often
constexpr std::uint64_t kTrafficTickMs = 100;
// Time the fleet may take to connect beyond --devices / --connect-rate before the run gives up.
constexpr double kConnectSlackSeconds = 60;

class StormRun {
 public:
  explicit StormRun(const BenchOptions& options)
      : options_(options),
        loop_(client_config()),
        fleet_(options, loop_.loop()),
        downlink_(options, fleet_.ids()) {
    report_.devices = options.devices;
  }

  RunReport run();

 private:
  void start_some();
  void check_ready();
  void begin();
  void publish_some();
  void settle();
  void check_settled();
  void fail(std::string why);
  void finish();
  void send_progress();

  const BenchOptions& options_;
  ClientLoop loop_;  // the loop the clients run on, with its timers; none of its raw clients
  StormFleet fleet_;
  StormDownlink downlink_;
  std::unique_ptr<RunLink> link_;
  RunReport report_;
  Histogram no_latency_;  // the link's progress takes one; storm measures no latency
  Phase phase_ = Phase::Connecting;
  std::int64_t connect_deadline_ns_ = 0, settle_deadline_ns_ = 0;
  double start_budget_ = 0, publish_budget_ = 0;
  std::size_t publish_cursor_ = 0;
  bool finished_ = false;
};

RunReport StormRun::run() {
  link_ = make_run_link(Scenario::Storm, options_, loop_);
  const double connect_seconds = options_.devices / std::max(options_.connect_rate, 1.0);
  connect_deadline_ns_ =
      steady_ns() + static_cast<std::int64_t>((connect_seconds + kConnectSlackSeconds) * 1e9);
  loop_.every(kStartTickMs, [this] { start_some(); });
  loop_.every(kTrafficTickMs, [this] {
    publish_some();
    check_settled();
  });
  loop_.every(1000, [this] { send_progress(); });
  loop_.run();
  return std::move(report_);
}

void StormRun::start_some() {
  if (finished_ || phase_ != Phase::Connecting) return;
  start_budget_ += std::max(options_.connect_rate, 1.0) * kStartTickMs / 1000.0;
  const auto batch = static_cast<std::size_t>(start_budget_);
  start_budget_ -= static_cast<double>(batch);
  if (auto error = fleet_.start_more(batch); !error.empty()) return fail(error);
  check_ready();
}

void StormRun::check_ready() {
  if (fleet_.started() < fleet_.size()) return;
  if (fleet_.connected() < fleet_.size()) {
    if (steady_ns() > connect_deadline_ns_)
      fail(
          fmt::format("only {} of {} devices connected in time; is kited running, with "
                      "auth.max_unauthenticated_per_ip and device.max_connections_per_ip "
                      "raised for one source address?",
                      fleet_.connected(), fleet_.size()));
    return;
  }
  phase_ = Phase::Ready;
  report_.connected = fleet_.connected();
  link_->ready([this] { begin(); });
}

void StormRun::begin() {
  phase_ = Phase::Measuring;
  report_.started_ns = steady_ns();
  fleet_.mark_start();
  downlink_.start();
  loop_.after(static_cast<std::uint64_t>(options_.seconds * 1000), [this] { settle(); });
}

// Uplink at --up-rate (this process's share), round robin: offline devices queue theirs.
void StormRun::publish_some() {
  if (phase_ != Phase::Measuring || fleet_.size() == 0) return;
  publish_budget_ += options_.up_rate * kTrafficTickMs / 1000.0;
  for (; publish_budget_ >= 1; publish_budget_ -= 1)
    fleet_.publish(publish_cursor_++ % fleet_.size());
}

void StormRun::settle() {
  if (finished_) return;
  phase_ = Phase::Holding;
  downlink_.stop();
  settle_deadline_ns_ = steady_ns() + static_cast<std::int64_t>(options_.settle * 1e9);
}

void StormRun::check_settled() {
  if (finished_ || phase_ != Phase::Holding) return;
  const bool whole =
      fleet_.connected() == fleet_.size() && fleet_.queued() == 0 && fleet_.missing(downlink_) == 0;
  if (whole || steady_ns() >= settle_deadline_ns_) finish();
}

void StormRun::fail(std::string why) {
  report_.setup_error = std::move(why);
  finish();
}

void StormRun::finish() {
  if (finished_) return;
  finished_ = true;
  downlink_.stop();
  report_.ended_ns = steady_ns();
  fleet_.fill(report_.storm, downlink_);
  phase_ = Phase::Done;
  fleet_.stop();  // the clients' handles close, then the loop's own: run() returns
  loop_.stop();
}

void StormRun::send_progress() {
  if (finished_) return;
  Progress progress;
  progress.phase = phase_;
  progress.devices = fleet_.size();
  progress.connected = fleet_.connected();
  progress.count = fleet_.opened();
  progress.in_flight = fleet_.queued();
  link_->progress(progress, no_latency_);
}

}  // namespace

RunReport measure_storm(const BenchOptions& options) {
  return StormRun(options).run();
}

}  // namespace kite::bench
