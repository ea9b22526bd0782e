// p2p: a backend (service connection, or with --http the admin API: http_sender.h) sends QoS 1
// messages to random devices among N connected ones, keeping `window` messages in flight end to
// end (sent by the service, not yet received by a device), optionally paced at `rate`. Latency is
// from the service's send to the device's receipt (both clocks are this process's steady clock,
// carried in the payload). With --processes, each child runs its own service connection to its
// own devices.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/error_kind.h"
#include "bench/flow_run.h"
#include "bench/http_sender.h"
#include "bench/rate_pacer.h"
#include "bench/scenarios.h"

namespace kite::bench {
namespace {

protocol::SessionConfig p2p_config() {
  auto config = client_config();
  config.receive_window = 256;  // the service's downlink is unused; devices take what they get
  return config;
}

std::vector<std::string> device_ids(const BenchOptions& options) {
  std::vector<std::string> ids;
  for (std::uint32_t i = 0; i < options.devices; ++i) ids.push_back(device_identity(options, i).id);
  return ids;
}

class P2pRun final : public FlowRun {
 public:
  explicit P2pRun(const BenchOptions& options);

 private:
  bool over_http() const { return options().http_senders != 0; }
  void before_connecting() override;
  void on_settled() override;
  void start_sending() override { over_http() ? http_.start() : pump(); }
  void on_message(BenchClient& device, const protocol::IncomingMessage& message) override;
  void on_closed(BenchClient& device, const protocol::CloseInfo& info) override {
    count_close(device, info);
    stop_if_never_connected(device);
  }
  void on_finish() override { http_.stop(); }
  std::uint64_t messages_sent() const override {
    return over_http() ? http_.sent() : FlowRun::messages_sent();
  }

  void pump();
  void on_service_error(protocol::Reason reason);
  void on_service_closed(BenchClient& service, const protocol::CloseInfo& info);
  void stop_if_http_failed();

  const std::string who_;
  std::mt19937 rng_;
  std::vector<std::uint8_t> payload_;
  const std::vector<std::string> device_ids_;
  HttpSender http_;
  BenchClient* service_ = nullptr;
  ClientEvents service_events_;
  double tokens_ = 0;  // --rate (rate_pacer.h)
};

P2pRun::P2pRun(const BenchOptions& options)
    : FlowRun(options, Scenario::P2p, p2p_config()),
      who_(speaker(options)),
      rng_(42 + options.child_index),
      payload_(std::max<std::uint32_t>(options.payload, 8), 0x5a),
      device_ids_(device_ids(options)),
      http_(options, device_ids_) {
  service_events_.opened = [this](BenchClient&) { warm_up_then_measure(); };
  service_events_.writable = [this](BenchClient&) { pump(); };
  service_events_.error = [this](BenchClient&, protocol::Reason reason, std::uint64_t) {
    on_service_error(reason);
  };
  service_events_.closed = [this](BenchClient& service, const protocol::CloseInfo& info) {
    on_service_closed(service, info);
  };
}

void P2pRun::before_connecting() {
  // The tokens are counted from the start; pump() spends them once the warm-up has begun.
  pace_at_rate(
      loop(), options().rate, tokens_, [] { return true; }, [this] { pump(); });
  if (over_http()) loop().every(100, [this] { stop_if_http_failed(); });
}

// Every device is connected (one that is not stops the run): now the sender.
void P2pRun::on_settled() {
  if (over_http()) return warm_up_then_measure();
  service_ = &loop().add(service_identity(options()), target(), {}, &service_events_);
  service_->connect();
}

void P2pRun::pump() {
  if (!sending() || !service_ || !service_->is_open()) return;
  auto& session = service_->session();
  while (in_flight() < options().window && session.send_credit() > 0 &&
         (options().rate == 0 || tokens_ >= 1)) {
    std::int64_t stamp = steady_ns();
    std::memcpy(payload_.data(), &stamp, sizeof stamp);
    protocol::OutgoingMessage message;
    message.payload = payload_;
    message.qos = protocol::Qos::AtLeastOnce;
    message.target = device_ids_[rng_() % options().devices];
    if (session.publish(message, loop().now()) != protocol::SendStatus::Sent) break;
    count_sent();
    if (options().rate != 0) tokens_ -= 1;
  }
  loop().mark_dirty(*service_);
}

void P2pRun::on_message(BenchClient&, const protocol::IncomingMessage& message) {
  std::int64_t stamp = 0;
  if (message.payload.size() >= sizeof stamp)
    std::memcpy(&stamp, message.payload.data(), sizeof stamp);
  count_completed();
  if (over_http()) http_.completed();
  if (measuring())
    report().latency.record(static_cast<std::uint64_t>((steady_ns() - stamp) / 1000));
  pump();
}

// kited refused one message (NotFound: no such device...): it will not arrive.
void P2pRun::on_service_error(protocol::Reason reason) {
  count_error_frame("the service", reason);
  count_lost(1);
  pump();
}

void P2pRun::on_service_closed(BenchClient& service, const protocol::CloseInfo& info) {
  if (done()) return;
  const std::string kind = close_kind(service, info);
  report().errors.add(kind);
  fmt::print(stderr, "{}: the service connection closed: {} ({}); stopping\n", who_, kind,
             info.message);
  finish();
}

// A request not answered 202 ends the run.
void P2pRun::stop_if_http_failed() {
  if (done() || !http_.failed()) return;
  report().errors.add(http_.error_kind());
  fmt::print(stderr, "{}: {}; stopping\n", who_, http_.error());
  finish();
}

}  // namespace

RunReport measure_p2p(const BenchOptions& options) {
  return P2pRun(options).run();
}

}  // namespace kite::bench
