#include "core/fan_out.h"

#include <memory>

#include "core/connection.h"
#include "core/worker.h"
#include "kite/protocol/shared_publish.h"

namespace kite::server {

using protocol::SharedPublish;

FanOut::FanOut(ServerContext& context)
    : context_(context), encoder_(context.options.session.dictionaries) {
  encoder_.compression() = context.options.session.compression;
}

bool FanOut::send_transient(std::span<const protocol::OutgoingMessage> messages,
                            std::span<const std::string> targets, std::vector<bool>& online) {
  online.assign(targets.size(), false);
  auto frames = std::make_shared<std::vector<SharedPublish>>();
  frames->reserve(messages.size());
  {
    std::lock_guard lock(encoder_mutex_);
    const std::uint16_t dictionary = context_.options.session.compression.dictionary;
    for (const auto& message : messages) {
      auto frame = SharedPublish::encode(encoder_, message, dictionary);
      if (!frame) return false;
      frames->push_back(std::move(*frame));
    }
  }
  std::vector<std::vector<std::uint64_t>> connections(context_.workers.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (auto route = context_.registry->find(targets[i])) {
      connections[route->worker].push_back(route->connection);
      online[i] = true;
    }
  }
  std::shared_ptr<const std::vector<SharedPublish>> shared = std::move(frames);
  for (std::size_t w = 0; w < connections.size(); ++w) {
    if (connections[w].empty()) continue;
    context_.workers[w]->post([shared, ids = std::move(connections[w])](Worker& worker) {
      for (std::uint64_t id : ids)
        if (Connection* connection = worker.find(id))
          for (const SharedPublish& frame : *shared) connection->send_shared(frame);
    });
  }
  return true;
}

void FanOut::carry(std::vector<DeliveryBatch>& per_worker) {
  for (std::size_t w = 0; w < per_worker.size() && w < context_.workers.size(); ++w) {
    if (per_worker[w].empty()) continue;
    context_.workers[w]->post(
        [carried = std::move(per_worker[w])](Worker& worker) { worker.deliver(carried); });
    per_worker[w] = DeliveryBatch();
  }
}

}  // namespace kite::server
