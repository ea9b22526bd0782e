// The dispatcher's lanes (delivery/lanes.h) over this process's worker loops: a task posted to
// the worker, or, when the caller already runs on that worker's loop (a service connection
// sending to a device of its own worker), done at once with no task at all.
#pragma once

#include <vector>

#include "core/delivery/lanes.h"

namespace kite::server {

class Worker;

class WorkerLanes final : public Lanes {
 public:
  // `workers` is indexable by Route::worker and outlives the lanes.
  explicit WorkerLanes(const std::vector<Worker*>& workers) : workers_(workers) {}

  std::uint32_t count() const override { return static_cast<std::uint32_t>(workers_.size()); }
  void carry(std::uint32_t worker, DeliveryBatch& batch) override;
  // Posted QoS 0 frames are charged to the target's TransientBudget until its task has run.
  bool share(std::uint32_t worker, SharedSends sends) override;

 private:
  const std::vector<Worker*>& workers_;
};

}  // namespace kite::server
