#include "core/worker_lanes.h"

#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {
namespace {

void send_all(Worker& worker, const SharedSends& sends) {
  for (const auto& [connection_id, frame] : sends.sends)
    if (Connection* connection = worker.find(connection_id))
      connection->send_shared((*sends.frames)[frame]);
}

}  // namespace

void WorkerLanes::carry(std::uint32_t index, DeliveryBatch& batch) {
  Worker* worker = workers_[index];
  if (Worker::on_this_thread() == worker) {
    worker->deliver(batch);
    return batch.clear();
  }
  worker->post([carried = std::move(batch)](Worker& w) { w.deliver(carried); });
  batch = DeliveryBatch();
}

bool WorkerLanes::share(std::uint32_t index, SharedSends sends) {
  Worker* worker = workers_[index];
  if (Worker::on_this_thread() == worker) return send_all(*worker, sends), true;
  std::size_t bytes = sends.sends.size() * sizeof(sends.sends[0]);
  for (const protocol::SharedPublish& frame : *sends.frames)
    bytes += frame.for_dictionary(0).frame.size();
  if (!worker->transient_budget().try_take(bytes)) return false;
  worker->post([sends = std::move(sends), bytes](Worker& w) {
    w.transient_budget().give_back(bytes);
    send_all(w, sends);
  });
  return true;
}

}  // namespace kite::server
