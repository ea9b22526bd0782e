#include "core/delivery/dispatcher.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "common/wall_clock.h"
#include "store/ttl.h"

namespace kite::server {
namespace {

std::atomic<std::uint64_t> next_generation{1};

// Each device's route, looked up once per call however many parcels it has.
class RouteCache {
 public:
  RouteCache(const Router& router, std::uint32_t lanes) : router_(router), lanes_(lanes) {}

  const std::optional<Route>& find(std::string_view device) {
    auto [it, fresh] = routes_.try_emplace(device);
    if (fresh) {
      it->second = router_.find(device);
      if (it->second && it->second->worker >= lanes_) it->second.reset();  // not a lane here
    }
    return it->second;
  }

 private:
  const Router& router_;
  const std::uint32_t lanes_;
  std::unordered_map<std::string_view, std::optional<Route>> routes_;
};

bool carried(const EnqueueResult& result) {
  return result.status == EnqueueResult::Status::Queued;
}

}  // namespace

Dispatcher::Dispatcher(MessageStore& store, const Router& router, Lanes& lanes,
                       const protocol::SessionConfig& session)
    : store_(store),
      router_(router),
      lanes_(lanes),
      session_(session),
      generation_(next_generation.fetch_add(1)) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::send(std::span<const NewMessage> messages, std::span<const Parcel> parcels,
                      protocol::Qos qos, std::vector<Outcome>& outcomes) {
  CarryAllowance allowance{kMaxCarriedBytes};
  send(messages, parcels, qos, outcomes, allowance);
}

void Dispatcher::send(std::span<const NewMessage> messages, std::span<const Parcel> parcels,
                      protocol::Qos qos, std::vector<Outcome>& outcomes,
                      CarryAllowance& allowance) {
  outcomes.assign(parcels.size(), Outcome{});
  if (parcels.empty()) return;
  if (qos == protocol::Qos::AtMostOnce) return send_transient(messages, parcels, outcomes);
  send_stored(messages, parcels, outcomes, allowance);
}

void Dispatcher::send_stored(std::span<const NewMessage> messages, std::span<const Parcel> parcels,
                             std::vector<Outcome>& outcomes, CarryAllowance& allowance) {
  const auto now = static_cast<std::uint64_t>(wall_clock_ms());
  const std::int64_t accepted_at_us = wall_clock_us();
  thread_local std::vector<std::pair<std::string_view, NewMessage>> batch;
  thread_local std::vector<EnqueueResult> answers;
  for (std::size_t first = 0; first < parcels.size(); first += kStoreBatch) {
    const std::size_t last = std::min(parcels.size(), first + kStoreBatch);
    batch.clear();
    for (std::size_t k = first; k < last; ++k)
      batch.emplace_back(parcels[k].device, messages[parcels[k].message]);
    store_.enqueue_batch(batch, now, answers);  // one write per batch
    for (std::size_t k = first; k < last; ++k) outcomes[k].stored = std::move(answers[k - first]);
  }

  // Looked up after storing (see the header), then: who is only woken, and may the rest go?
  RouteCache routes(router_, lanes_.count());
  std::unordered_set<std::string_view> wake_only;
  std::size_t carried_bytes = 0;
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    const EnqueueResult& result = outcomes[k].stored;
    outcomes[k].online = routes.find(parcels[k].device).has_value();
    if (!carried(result) || !outcomes[k].online) continue;
    if (result.replaced || result.dropped_oldest > 0) wake_only.insert(parcels[k].device);
    carried_bytes += messages[parcels[k].message].payload.size();
  }
  const bool carry = carried_bytes <= allowance.bytes_left;
  if (carry) allowance.bytes_left -= carried_bytes;

  std::vector<DeliveryBatch> per_worker(lanes_.count());
  std::unordered_set<std::string_view> woken;
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    const EnqueueResult& result = outcomes[k].stored;
    const std::optional<Route>& route = routes.find(parcels[k].device);
    if (!carried(result) || !route) continue;
    DeliveryBatch& to = per_worker[route->worker];
    if (!carry || wake_only.contains(parcels[k].device)) {
      if (woken.insert(parcels[k].device).second)
        to.add({route->connection, 0, 0, 0, {}, {}, {}, {}, {}});
      continue;
    }
    const NewMessage& message = messages[parcels[k].message];
    to.add({route->connection, result.seq, expires_at_ms(now, message.ttl_ms), accepted_at_us,
            result.message_id, message.topic, message.content_type, message.conflation_key,
            message.payload});
  }
  for (std::uint32_t w = 0; w < per_worker.size(); ++w)
    if (!per_worker[w].empty()) lanes_.carry(w, std::move(per_worker[w]));
}

void Dispatcher::send_transient(std::span<const NewMessage> messages,
                                std::span<const Parcel> parcels, std::vector<Outcome>& outcomes) {
  auto frames = std::make_shared<std::vector<protocol::SharedPublish>>();
  frames->reserve(messages.size());
  for (const NewMessage& message : messages) {
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

  RouteCache routes(router_, lanes_.count());
  std::vector<SharedSends> per_worker(lanes_.count());
  constexpr std::uint32_t kOffline = UINT32_MAX;
  std::vector<std::uint32_t> worker_of(parcels.size(), kOffline);
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    const std::optional<Route>& route = routes.find(parcels[k].device);
    outcomes[k].online = route.has_value();
    if (!route) continue;
    worker_of[k] = route->worker;
    per_worker[route->worker].sends.emplace_back(route->connection, parcels[k].message);
  }
  std::vector<bool> taken(per_worker.size(), false);
  for (std::uint32_t w = 0; w < per_worker.size(); ++w) {
    if (per_worker[w].sends.empty()) continue;
    per_worker[w].frames = frames;
    taken[w] = lanes_.share(w, std::move(per_worker[w]));
  }
  std::uint64_t refused = 0;
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    if (worker_of[k] == kOffline) continue;
    outcomes[k].sent = taken[worker_of[k]];
    refused += !outcomes[k].sent;
  }
  if (refused != 0) refused_transient_.fetch_add(refused);
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
