#include "bench/storm_fleet.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "bench/common.h"
#include "bench/storm_downlink.h"
#include "kite/protocol/hex.h"

namespace kite::bench {
namespace {

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StormFleet::StormFleet(const BenchOptions& options, uv_loop_t* loop)
    : options_(options), loop_(loop), devices_(options.devices) {
  ids_.reserve(options.devices);
  keys_.reserve(options.devices);
  for (std::uint32_t i = 0; i < options.devices; ++i) {
    Identity identity = device_identity(options, i);
    keys_.push_back(protocol::hex_encode(identity.key));
    ids_.push_back(std::move(identity.id));
  }
}

ClientOptions StormFleet::client_options(std::size_t i) const {
  ClientOptions o;
  o.host = options_.hosts.empty() ? options_.host : options_.hosts[i % options_.hosts.size()];
  o.port = static_cast<std::uint16_t>(options_.port);
  o.device_id = ids_[i];
  o.key = keys_[i];
  o.tls = options_.tls;
  if (!options_.websocket_path.empty())
    o.url = (options_.tls.enabled ? "wss://" : "ws://") + o.host + ":" +
            std::to_string(options_.port) + options_.websocket_path;
  // Everything else (jitter, keep-alive, timeouts) stays the SDK's default, and so does the
  // back-off unless asked: the storm measures what a fleet built on the SDK does out of the box.
  if (options_.backoff_initial_ms) o.backoff_initial_ms = options_.backoff_initial_ms;
  if (options_.backoff_max_ms) o.backoff_max_ms = options_.backoff_max_ms;
  if (options_.lost_spread_ms >= 0)
    o.lost_reconnect_spread_ms = static_cast<std::uint32_t>(options_.lost_spread_ms);
  return o;
}

std::string StormFleet::start_more(std::size_t count) {
  for (std::size_t n = 0; n < count && clients_.size() < devices_.size(); ++n) {
    const std::size_t i = clients_.size();
    auto client = std::make_unique<Client>(client_options(i), loop_);
    client->on_state([this, i](const StateChange& change) { on_state(i, change); });
    client->on_message([this, i](const Message& message) { on_message(i, message); });
    if (client->start() != Error::Ok) return ids_[i] + ": " + client->start_error();
    clients_.push_back(std::move(client));
  }
  return {};
}

std::size_t StormFleet::queued() const {
  std::size_t all = 0;
  for (const auto& client : clients_) all += client->queued();
  return all;
}

void StormFleet::on_state(std::size_t i, const StateChange& change) {
  Device& device = devices_[i];
  if (change.state == State::Connected) {
    device.connected = true;
    ++connected_;
    ++opened_;
    if (!started_) return;
    const std::int64_t at = epoch_ms();
    ++device.reopened;
    device.last_open_ms = at;
    ++counts_.reopened;
    if (change.resumed) ++counts_.resumed;
    ++counts_.opened_by_bucket[at / kStormBucketMs];
    return;
  }
  if (change.state == State::Connecting) return;
  if (device.connected) --connected_;
  device.connected = false;
  // Every end after the start, a failed attempt included ("ConnectFailed" while kited is away).
  if (started_) ++counts_.ended_by_reason[std::string(change.reason)];
}

void StormFleet::on_message(std::size_t i, const Message& message) {
  std::uint32_t n = 0;
  const char* end = message.payload.data() + message.payload.size();
  if (std::from_chars(message.payload.data(), end, n).ptr != end || n == 0) return;
  auto& seen = devices_[i].seen;
  if (seen.size() <= n) seen.resize(n + 1);
  if (seen[n] < UINT8_MAX) ++seen[n];
}

void StormFleet::publish(std::size_t i) {
  Device& device = devices_[i];
  const std::string payload = std::to_string(device.next_uplink);
  auto done = [this](Error error, std::string_view) {
    if (error == Error::Ok)
      ++counts_.up_accepted;
    else
      ++counts_.up_failed;
  };
  const Error refused = clients_[i]->publish({.payload = payload, .topic = "storm"}, done);
  if (refused != Error::Ok) {
    ++counts_.up_failed;  // QueueFull: the device could not even queue it
    return;
  }
  ++device.next_uplink;
  ++counts_.up_published;
}

std::uint64_t StormFleet::missing(const StormDownlink& downlink) const {
  std::uint64_t missing = 0;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const auto& accepted = downlink.accepted(i);
    const auto& seen = devices_[i].seen;
    for (std::size_t n = 1; n < accepted.size(); ++n)
      if (accepted[n] && (n >= seen.size() || seen[n] == 0)) ++missing;
  }
  return missing;
}

void StormFleet::fill(StormTally& tally, const StormDownlink& downlink) const {
  StormTally counts = counts_;
  for (const Device& device : devices_) {
    counts.devices_back += device.reopened > 0;
    counts.reopened_twice += device.reopened > 1;
    counts.last_reopen_ms = std::max(counts.last_reopen_ms, device.last_open_ms);
    counts.connected_at_end += device.connected;
    for (std::uint8_t times : device.seen) {
      counts.down_delivered += times > 0;
      counts.down_duplicated += times > 1 ? times - 1u : 0u;
    }
  }
  counts.down_accepted = downlink.accepted_count();
  counts.down_unconfirmed = downlink.unconfirmed();
  counts.down_unreachable = downlink.unreachable();
  counts.down_refused = downlink.refused();
  counts.down_lost = missing(downlink);
  tally.merge(counts);
}

void StormFleet::stop() {
  clients_.clear();  // each stops: goodbye, then its handles close on the loop
}

}  // namespace kite::bench
