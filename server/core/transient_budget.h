// What a worker's inbox may hold of QoS 0 frames posted to it by other threads (the admin API's
// sends, other workers' service connections; core/worker_lanes.h), counted in bytes.
//
// Rules it keeps:
//  - a sender takes from the target worker's budget before posting and drops the message (and
//    counts it as dropped_qos0) when the budget is spent: QoS 0 may be dropped, and a worker
//    that falls behind must not let its inbox grow without bound;
//  - the target gives the bytes back when the task has run, whatever it found;
//  - any thread may take, only the target's thread gives back; an atomic, no lock.
#pragma once

#include <atomic>
#include <cstddef>

namespace kite::server {

class TransientBudget {
 public:
  // 16 MiB a worker: a few seconds of a busy service's QoS 0 sends, a small share of memory.
  static constexpr std::size_t kDefaultBytes = 16 * 1024 * 1024;
  // What a posted task costs beyond its strings (the task object and its inbox slot).
  static constexpr std::size_t kTaskOverhead = 256;

  explicit TransientBudget(std::size_t max_bytes = kDefaultBytes) : max_bytes_(max_bytes) {}

  // Takes `bytes` (payload, topic and type) plus the task overhead; false when that would go
  // over the budget (nothing taken).
  bool try_take(std::size_t bytes) {
    const std::size_t cost = bytes + kTaskOverhead;
    if (bytes_.fetch_add(cost, std::memory_order_relaxed) + cost <= max_bytes_) return true;
    bytes_.fetch_sub(cost, std::memory_order_relaxed);
    return false;
  }
  void give_back(std::size_t bytes) {
    bytes_.fetch_sub(bytes + kTaskOverhead, std::memory_order_relaxed);
  }
  std::size_t in_use() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  std::size_t max_bytes_;
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace kite::server
