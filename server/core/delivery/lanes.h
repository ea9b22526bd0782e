// The dispatcher's way to the worker loops: each worker holding connections is one lane, and
// everything a call sends to one worker goes as one task down that lane.
//
// worker_lanes.h implements it over the libuv workers; unit tests record what would be posted.
// A remote node (a cluster) is not a lane: it is reached through the Router seam instead.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/delivery/delivery_batch.h"
#include "kite/protocol/shared_publish.h"

namespace kite::server {

// QoS 0 frames encoded once, read by every connection that sends them (immutable, any thread).
using SharedFrames = std::shared_ptr<const std::vector<protocol::SharedPublish>>;

// One worker's part of a QoS 0 call: which connection sends which frame, in send order.
struct SharedSends {
  SharedFrames frames;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> sends;  // connection id, frame index
};

class Lanes {
 public:
  virtual ~Lanes() = default;
  virtual std::uint32_t count() const = 0;
  // Stored messages (and "read your queue" wake-ups) for connections on `worker`; leaves `batch`
  // empty (its buffers kept when it was handled at once, for the caller's next call).
  virtual void carry(std::uint32_t worker, DeliveryBatch& batch) = 0;
  // QoS 0 frames for connections on `worker`. False, sending nothing, when that worker's inbox
  // has no room for more (QoS 0 may be dropped; an inbox must not grow without bound).
  virtual bool share(std::uint32_t worker, SharedSends sends) = 0;
};

}  // namespace kite::server
