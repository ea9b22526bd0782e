#include "core/delivery/dispatcher.h"

#include <optional>
#include <unordered_set>

#include "common/wall_clock.h"
#include "store/ttl.h"

namespace kite::server {
namespace {

std::atomic<std::uint64_t> next_generation{1};

bool queued(const EnqueueResult& result) {
  return result.status == EnqueueResult::Status::Queued;
}

}  // namespace

// The buffers live per thread and are reused from call to call: a service connection's every
// read comes through here. Lanes never call back into the dispatcher, so one call at a time per
// thread holds them.
struct Dispatcher::Call {
  std::span<const NewMessage> messages;
  std::span<const std::string_view> devices;
  std::span<const Parcel> parcels;
  std::vector<std::optional<Route>>& routes;  // by device index, once looked up
};

Dispatcher::Dispatcher(MessageStore& store, const Router& router, Lanes& lanes,
                       const protocol::SessionConfig& session, MessageStatusBook* statuses)
    : store_(store),
      router_(router),
      lanes_(lanes),
      session_(session),
      statuses_(statuses),
      generation_(next_generation.fetch_add(1)) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::send(std::span<const NewMessage> messages,
                      std::span<const std::string_view> devices, std::span<const Parcel> parcels,
                      protocol::Qos qos, std::vector<Outcome>& outcomes, Durability durability,
                      std::uint64_t settle_group) {
  CarryAllowance allowance{kMaxCarriedBytes};
  send(messages, devices, parcels, qos, outcomes, allowance, durability, settle_group);
}

void Dispatcher::send(std::span<const NewMessage> messages,
                      std::span<const std::string_view> devices, std::span<const Parcel> parcels,
                      protocol::Qos qos, std::vector<Outcome>& outcomes, CarryAllowance& allowance,
                      Durability durability, std::uint64_t settle_group) {
  outcomes.assign(parcels.size(), Outcome{});
  if (parcels.empty()) return;
  thread_local std::vector<std::optional<Route>> routes;
  Call call{messages, devices, parcels, routes};
  if (qos == protocol::Qos::AtMostOnce) return send_transient(call, outcomes);
  send_stored(call, outcomes, allowance, durability, settle_group);
}

void Dispatcher::look_up_routes(Call& call) {
  call.routes.assign(call.devices.size(), std::nullopt);
  for (std::size_t i = 0; i < call.devices.size(); ++i) {
    auto route = router_.find(call.devices[i]);
    if (route && route->worker < lanes_.count()) call.routes[i] = route;  // else not a lane here
  }
}

void Dispatcher::send_stored(Call& call, std::vector<Outcome>& outcomes, CarryAllowance& allowance,
                             Durability durability, std::uint64_t settle_group) {
  const auto now = static_cast<std::uint64_t>(wall_clock_ms());
  const std::int64_t accepted_at_us = wall_clock_us();
  const std::span<const Parcel> parcels = call.parcels;
  thread_local std::vector<std::pair<std::string_view, NewMessage>> batch;
  thread_local std::vector<EnqueueResult> answers;
  for (std::size_t first = 0; first < parcels.size(); first += kStoreBatch) {
    const std::size_t last = std::min(parcels.size(), first + kStoreBatch);
    batch.clear();
    for (std::size_t k = first; k < last; ++k)
      batch.emplace_back(call.devices[parcels[k].device], call.messages[parcels[k].message]);
    if (durability == Durability::Deferred)
      store_.enqueue_batch_deferred(batch, now, answers, settle_group);
    else
      store_.enqueue_batch(batch, now, answers);  // one write per batch
    for (std::size_t k = first; k < last; ++k) outcomes[k].stored = std::move(answers[k - first]);
  }
  if (statuses_) note_stored(call, outcomes, now);

  // Looked up after storing (see the header), then: who is only woken, and may the rest go?
  look_up_routes(call);
  thread_local std::vector<bool> wake_only;
  wake_only.assign(call.devices.size(), false);
  std::unordered_set<std::string_view> superseded;  // by name: a device may have several indices
  std::size_t carried_bytes = 0;
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    const EnqueueResult& result = outcomes[k].stored;
    outcomes[k].online = call.routes[parcels[k].device].has_value();
    if (!queued(result) || !outcomes[k].online) continue;
    if (result.replaced || result.dropped_oldest > 0)
      superseded.insert(call.devices[parcels[k].device]);
    carried_bytes += call.messages[parcels[k].message].payload.size();
  }
  if (!superseded.empty())
    for (std::size_t i = 0; i < call.devices.size(); ++i)
      wake_only[i] = superseded.contains(call.devices[i]);
  wake_elsewhere(call, outcomes);
  const bool carry = carried_bytes <= allowance.bytes_left;
  if (carry) allowance.bytes_left -= carried_bytes;

  thread_local std::vector<DeliveryBatch> per_worker;
  per_worker.resize(lanes_.count());
  std::unordered_set<std::uint64_t> woken;  // connections: one wake-up each is enough
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    const EnqueueResult& result = outcomes[k].stored;
    const std::optional<Route>& route = call.routes[parcels[k].device];
    if (!queued(result) || !route) continue;
    DeliveryBatch& to = per_worker[route->worker];
    if (!carry || wake_only[parcels[k].device]) {
      if (woken.insert(route->connection).second)
        to.add({route->connection, 0, 0, 0, {}, {}, {}, {}, {}});
      continue;
    }
    const NewMessage& message = call.messages[parcels[k].message];
    to.add({route->connection, result.seq, expires_at_ms(now, message.ttl_ms), accepted_at_us,
            result.message_id, message.topic, message.content_type, message.conflation_key,
            message.payload});
  }
  for (std::uint32_t w = 0; w < per_worker.size(); ++w)
    if (!per_worker[w].empty()) lanes_.carry(w, per_worker[w]);
}

// Devices with a message queued in this call and no connection here: a cluster node holding one
// is told to read its queue (Router::wake_elsewhere). Each device once.
void Dispatcher::wake_elsewhere(const Call& call, std::span<const Outcome> outcomes) {
  thread_local std::vector<std::string_view> elsewhere;
  elsewhere.clear();
  thread_local std::vector<bool> listed;
  listed.assign(call.devices.size(), false);
  for (std::size_t k = 0; k < call.parcels.size(); ++k) {
    const std::uint32_t device = call.parcels[k].device;
    if (!queued(outcomes[k].stored) || call.routes[device] || listed[device]) continue;
    listed[device] = true;
    elsewhere.push_back(call.devices[device]);
  }
  if (!elsewhere.empty()) router_.wake_elsewhere(elsewhere);
}

// Before the routes are looked up, so that a connection sends only what the book knows of (a
// device reading its queue meanwhile is the rare exception the book allows for).
void Dispatcher::note_stored(const Call& call, std::span<const Outcome> outcomes,
                             std::uint64_t now) {
  for (std::size_t k = 0; k < call.parcels.size(); ++k) {
    const EnqueueResult& result = outcomes[k].stored;
    if (!queued(result)) continue;
    const NewMessage& message = call.messages[call.parcels[k].message];
    statuses_->queued({result.message_id, call.devices[call.parcels[k].device], result.seq,
                       expires_at_ms(now, message.ttl_ms), message.conflation_key, result.replaced},
                      now);
  }
}

std::size_t Dispatcher::send_forwarded(const NewMessage& message,
                                       std::span<const std::string_view> devices) {
  thread_local std::vector<std::optional<Route>> routes;
  std::vector<Parcel> parcels(devices.size());
  for (std::uint32_t i = 0; i < devices.size(); ++i) parcels[i] = {i, 0};
  Call call{std::span(&message, 1), devices, parcels, routes};
  std::vector<Outcome> outcomes(parcels.size());
  send_transient(call, outcomes, /*forward=*/false);
  std::size_t sent = 0;
  for (const Outcome& outcome : outcomes) sent += outcome.sent;
  return sent;
}

// QoS 0 parcels whose device is not connected here: to the node it is on, if any.
void Dispatcher::forward_elsewhere(const Call& call, std::vector<Outcome>& outcomes) {
  thread_local std::vector<RemoteParcel> remote;
  thread_local std::vector<std::size_t> which;
  thread_local std::vector<bool> forwarded;
  remote.clear();
  which.clear();
  for (std::size_t k = 0; k < call.parcels.size(); ++k) {
    if (call.routes[call.parcels[k].device]) continue;
    remote.push_back(
        {call.devices[call.parcels[k].device], &call.messages[call.parcels[k].message]});
    which.push_back(k);
  }
  if (remote.empty()) return;
  router_.forward_elsewhere(remote, forwarded);
  for (std::size_t i = 0; i < which.size(); ++i) outcomes[which[i]].sent = forwarded[i];
}

void Dispatcher::send_transient(Call& call, std::vector<Outcome>& outcomes, bool forward) {
  auto frames = std::make_shared<std::vector<protocol::SharedPublish>>();
  frames->reserve(call.messages.size());
  for (const NewMessage& message : call.messages) {
    protocol::OutgoingMessage out;
    out.payload = {reinterpret_cast<const std::uint8_t*>(message.payload.data()),
                   message.payload.size()};
    out.qos = protocol::Qos::AtMostOnce;
    out.topic = message.topic;
    out.content_type = message.content_type;
    auto frame = protocol::SharedPublish::encode(encoder(), out, session_.compression.dictionary);
    if (!frame) {
      for (Outcome& outcome : outcomes) {
        outcome.stored.status = EnqueueResult::Status::Invalid;
        outcome.stored.error = "the message does not fit a frame";
      }
      return;
    }
    frames->push_back(std::move(*frame));
  }

  look_up_routes(call);
  std::vector<SharedSends> per_worker(lanes_.count());
  for (const Parcel& parcel : call.parcels)
    if (const auto& route = call.routes[parcel.device])
      per_worker[route->worker].sends.emplace_back(route->connection, parcel.message);
  std::vector<bool> taken(per_worker.size(), false);
  for (std::uint32_t w = 0; w < per_worker.size(); ++w) {
    if (per_worker[w].sends.empty()) continue;
    per_worker[w].frames = frames;
    taken[w] = lanes_.share(w, std::move(per_worker[w]));
  }
  std::uint64_t refused = 0;
  for (std::size_t k = 0; k < call.parcels.size(); ++k) {
    const auto& route = call.routes[call.parcels[k].device];
    outcomes[k].online = route.has_value();
    outcomes[k].sent = route && taken[route->worker];
    refused += route && !outcomes[k].sent;
  }
  if (refused != 0) refused_transient_.fetch_add(refused);
  if (forward) forward_elsewhere(call, outcomes);
}

// One encoder per thread (an encoder is for one thread at a time; a lock would make every
// worker's QoS 0 sends wait on each other), made again when another dispatcher uses the thread.
protocol::FrameEncoder& Dispatcher::encoder() {
  struct Cached {
    std::uint64_t generation = 0;
    std::unique_ptr<protocol::FrameEncoder> encoder;
  };
  thread_local Cached cached;
  if (cached.generation != generation_) {
    cached.encoder = std::make_unique<protocol::FrameEncoder>(session_.dictionaries);
    cached.encoder->compression() = session_.compression;
    cached.generation = generation_;
  }
  return *cached.encoder;
}

}  // namespace kite::server
