// What one QueueEngine call changed: applied to the engine's stats, and its notices published, only
// once the call's write succeeded (a failed write changed nothing). Private to the engine's files.
#pragma once

#include <vector>

#include "store/queue_engine.h"

namespace kite::server::store {

struct QueueEngine::Counters {
  std::uint64_t enqueued = 0, expired = 0, dropped_full = 0, rejected_full = 0, conflated = 0,
                duplicates = 0, idempotency_refused = 0, swept = 0, undelivered = 0, cancelled = 0;
  Room reserved;  // already added to totals_ (modulo 2^64, so it can also shrink them)
  std::vector<MessageNotice> notices;  // published only if the write succeeds
};

}  // namespace kite::server::store
