// fanout: N devices in one group; a backend sends group messages through the admin API
// (GroupSender), one per request or bursts of B per request, QoS 0 or 1. Measures deliveries
// per second, per second of kited CPU ("per server core"), and the latency from the POST to each
// member's receipt, in particular to the LAST member of each message: what a group send waits on.
// Both ends of a latency are this process's steady clock (the sender stamps the payload).
//
// It runs alone (no --processes) and prints its own progress: once a second it says how far the
// join got, then the deliveries; the warm-up and the measured window are counted in those ticks.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bench/fanout_report.h"
#include "bench/group_sender.h"
#include "bench/scenario_run.h"

namespace kite::bench {
namespace {

// Receipts of one message across the group.
struct MessageReceipts {
  std::uint32_t received = 0;
  std::uint64_t slowest_us = 0;  // latency to the member that got it last so far
};

class FanoutRun final : public ScenarioRun {
 public:
  explicit FanoutRun(const BenchOptions& options)
      : ScenarioRun(options, std::nullopt), sender_(options) {}

  // What was measured, once run() has returned.
  FanoutTotals totals(const RunReport& report) const;

 private:
  void before_connecting() override {
    loop().every(1000, [this] { tick(); });
  }
  void on_settled() override;
  void on_message(BenchClient& device, const protocol::IncomingMessage& message) override;
  void on_closed(BenchClient& device, const protocol::CloseInfo& info) override {
    count_close(device, info);
    stop_if_never_connected(device);
  }
  void on_finish() override { sender_.stop(); }

  void tick();
  void stop_on_sender_error();
  void print_join_progress() const;
  void print_progress();
  void begin_measuring(std::int64_t now);
  void end_measuring(double measured_seconds);

  GroupSender sender_;
  std::vector<MessageReceipts> receipts_;
  Histogram every_member_, last_member_;
  FanoutCounts now_, at_start_;
  std::uint64_t first_measured_ = 0;  // the first message of the measured window
  std::int64_t last_receipt_ns_ = 0;
  bool measuring_ = false;
  std::int64_t phase_started_ns_ = 0;  // the warm-up's first tick, then the window's
  double measured_seconds_ = 0;
  std::uint64_t delivered_at_last_tick_ = 0;
};

void FanoutRun::on_settled() {
  std::vector<std::string> members;
  for (std::uint32_t i = 0; i < options().devices; ++i)
    members.push_back(device_identity(options(), i).id);
  fmt::print(stderr, "kite bench: {} devices connected; {} group \"{}\"\n", options().devices,
             options().join ? "joining them to" : "sending to", options().group);
  sender_.start(std::move(members));
}

void FanoutRun::on_message(BenchClient&, const protocol::IncomingMessage& message) {
  if (message.payload.size() < kFanoutStampBytes) return;
  std::int64_t stamp = 0;
  std::uint64_t index = 0;
  std::memcpy(&stamp, message.payload.data(), sizeof stamp);
  std::memcpy(&index, message.payload.data() + sizeof stamp, sizeof index);
  const auto latency_us =
      static_cast<std::uint64_t>(std::max<std::int64_t>((steady_ns() - stamp) / 1000, 0));
  ++now_.delivered;
  last_receipt_ns_ = steady_ns();
  if (measuring_) every_member_.record(latency_us);
  if (index >= receipts_.size()) receipts_.resize(index + 1024);
  MessageReceipts& r = receipts_[index];
  r.slowest_us = std::max(r.slowest_us, latency_us);
  if (++r.received != options().devices) return;
  ++now_.completed;
  if (measuring_ && index >= first_measured_) last_member_.record(r.slowest_us);
  sender_.completed();
}

void FanoutRun::tick() {
  if (done()) return;
  if (!sender_.error().empty()) return stop_on_sender_error();
  if (!sender_.joined()) return print_join_progress();
  const std::int64_t now = steady_ns();
  if (phase_started_ns_ == 0) phase_started_ns_ = now;
  const double phase_seconds = static_cast<double>(now - phase_started_ns_) / 1e9;
  print_progress();
  const bool all_sent = sender_.finished() && now_.completed >= sender_.sent();
  if (!measuring_ && (options().messages != 0 || phase_seconds >= options().warmup)) {
    begin_measuring(now);
  } else if (measuring_ && (phase_seconds >= options().seconds || all_sent)) {
    // A counted run ends with its last receipt, not with this tick.
    end_measuring(all_sent ? static_cast<double>(last_receipt_ns_ - phase_started_ns_) / 1e9
                           : phase_seconds);
  }
}

void FanoutRun::stop_on_sender_error() {
  fmt::print(stderr, "kite bench: {}\n", sender_.error());
  report().errors.add(sender_.error_kind());
  finish();
}

void FanoutRun::print_join_progress() const {
  fmt::print(stderr, "kite bench: {}/{} devices connected{}\n", connector().opened_count(),
             options().devices,
             connector().opened_count() == options().devices ? ", joining the group" : "");
}

void FanoutRun::print_progress() {
  fmt::print(stderr, "kite bench: {:8.0f} deliveries/s, {} messages sent{}\n",
             static_cast<double>(now_.delivered - delivered_at_last_tick_), sender_.sent(),
             measuring_ ? ", last member " + latency_line(last_member_) : " (warm-up)");
  delivered_at_last_tick_ = now_.delivered;
}

void FanoutRun::begin_measuring(std::int64_t now) {
  measuring_ = true;
  phase_started_ns_ = now;
  first_measured_ = sender_.sent();
  at_start_ = now_;
  at_start_.sent = first_measured_;
  at_start_.server_cpu = server_cpu();
  sender_.release();
}

void FanoutRun::end_measuring(double measured_seconds) {
  measured_seconds_ = measured_seconds;
  now_.sent = sender_.sent();
  now_.server_cpu = server_cpu();
  finish();
}

FanoutTotals FanoutRun::totals(const RunReport& report) const {
  FanoutTotals totals;
  totals.at_end = now_;
  totals.at_start = at_start_;
  totals.measured_seconds = measured_seconds_;
  totals.incomplete = sender_.given_up();
  totals.every_member = every_member_;
  totals.last_member = last_member_;
  totals.errors = report.errors;
  return totals;
}

}  // namespace

int run_fanout(const BenchOptions& options) {
  FanoutRun run(options);
  const RunReport report = run.run();
  if (!report.setup_error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", report.setup_error);
    return 2;
  }
  return print_fanout_report(options, run.totals(report));
}

}  // namespace kite::bench
