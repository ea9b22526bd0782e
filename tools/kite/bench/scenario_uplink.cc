// uplink: every device publishes QoS 1 messages to kited (device to server), --rate messages/s
// in all (0: as fast as kited's credit allows, session.receive_window messages in flight per
// device), --payload bytes each. Measures the messages kited acknowledges per second (and per
// server core), the latency from the publish to kited's Ack, and the errors.
//
// What kited does with each (server/core/connection.cc, on_message): counts it, charges the
// device's uplink token bucket (session.uplink_rate_per_s, 100/s by default, burst
// session.uplink_burst: over it kited stops reading the socket, so the bench measures the limit,
// not kited, unless kited runs with a higher rate), records an "uplink" event for GET /v1/events
// (events.types), stores the seq for de-duplication, and acknowledges it: at once every 16
// messages, else after 20 ms, which a light load sees in its latency.
#include <deque>
#include <vector>

#include "bench/flow_run.h"
#include "bench/rate_pacer.h"
#include "bench/scenarios.h"

namespace kite::bench {
namespace {

// A message still unacknowledged this long before the end counts as timeout:ack.
constexpr std::int64_t kAckTimeoutNs = 5'000'000'000;

struct Unacked {
  std::uint64_t seq;
  std::int64_t sent_ns;
};

class UplinkRun final : public FlowRun {
 public:
  explicit UplinkRun(const BenchOptions& options)
      : FlowRun(options, Scenario::Uplink),
        unacked_(options.devices),
        payload_(options.payload, 0x5a) {}

 private:
  void before_connecting() override {
    pace_at_rate(
        loop(), options().rate, tokens_, [this] { return sending(); }, [this] { spend_tokens(); });
  }
  // Devices that could not connect are counted; the others run (none: nothing to measure).
  void on_settled() override {
    if (connector().opened_count() == 0) return finish();
    warm_up_then_measure();
  }
  void start_sending() override {
    for (std::size_t i = 0; i < loop().size(); ++i) fill(loop().client(i));
  }
  void on_acked(BenchClient& device, std::uint64_t seq) override;
  void on_writable(BenchClient& device) override { fill(device); }
  void on_error(BenchClient& device, protocol::Reason reason, std::uint64_t ref) override {
    count_error_frame(device.id(), reason);
    std::erase_if(unacked_[device.index()], [&](const Unacked& u) { return u.seq == ref; });
  }
  void on_closed(BenchClient& device, const protocol::CloseInfo& info) override {
    count_close(device, info);
    count_lost(unacked_[device.index()].size());
    unacked_[device.index()].clear();
    if (!device.connected_once()) device_failed();
  }
  void on_window_closed() override;

  bool publish_one(BenchClient& device);
  static bool has_credit(BenchClient& device) {
    return device.is_open() && device.session().send_credit() > 0;
  }
  // Unpaced: a device sends as long as kited gives it credit.
  void fill(BenchClient& device) {
    if (!sending() || options().rate > 0) return;
    while (has_credit(device) && publish_one(device)) {
    }
  }
  void spend_tokens();

  // Per device (a client's index is its device's: the Connector adds them in order).
  std::vector<std::deque<Unacked>> unacked_;
  const std::vector<std::uint8_t> payload_;
  double tokens_ = 0;  // --rate (rate_pacer.h)
  std::size_t next_in_turn_ = 0;
};

bool UplinkRun::publish_one(BenchClient& device) {
  protocol::OutgoingMessage message;
  message.payload = payload_;
  message.qos = protocol::Qos::AtLeastOnce;
  std::uint64_t seq = 0;
  if (device.session().publish(message, loop().now(), &seq) != protocol::SendStatus::Sent)
    return false;
  unacked_[device.index()].push_back({seq, steady_ns()});
  count_sent();
  loop().mark_dirty(device);
  return true;
}

// Paced: the tokens go to the devices in turn, passing over those without credit.
void UplinkRun::spend_tokens() {
  if (!sending() || loop().size() == 0) return;
  for (std::size_t passed = 0; tokens_ >= 1 && passed < loop().size();) {
    BenchClient& device = loop().client(next_in_turn_);
    next_in_turn_ = (next_in_turn_ + 1) % loop().size();
    if (has_credit(device) && publish_one(device)) {
      tokens_ -= 1;
      passed = 0;
    } else {
      ++passed;
    }
  }
}

void UplinkRun::on_acked(BenchClient& device, std::uint64_t seq) {
  auto& waiting = unacked_[device.index()];
  const std::int64_t now = steady_ns();
  for (; !waiting.empty() && waiting.front().seq <= seq; waiting.pop_front()) {
    if (measuring())
      report().latency.record(static_cast<std::uint64_t>((now - waiting.front().sent_ns) / 1000));
    count_completed();
  }
  fill(device);
}

void UplinkRun::on_window_closed() {
  std::uint64_t overdue = 0;
  for (const auto& device : unacked_)
    for (const Unacked& u : device) overdue += u.sent_ns < report().ended_ns - kAckTimeoutNs;
  report().errors.add("timeout:ack", overdue);
}

}  // namespace

RunReport measure_uplink(const BenchOptions& options) {
  return UplinkRun(options).run();
}

}  // namespace kite::bench
