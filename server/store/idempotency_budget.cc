// IdempotencyBudget: see idempotency_budget.h.
#include "store/idempotency_budget.h"

namespace kite::server::store {

bool IdempotencyBudget::has_room(std::uint64_t now_ms) {
  std::lock_guard lock(mutex_);
  forget_expired(now_ms);
  return live_ < max_;
}

void IdempotencyBudget::add(std::uint64_t expires_at_ms) {
  std::lock_guard lock(mutex_);
  ++by_second_[expires_at_ms / 1000 + 1];  // rounded up: never forgotten before it expires
  ++live_;
}

std::uint64_t IdempotencyBudget::counted() const {
  std::lock_guard lock(mutex_);
  return live_;
}

void IdempotencyBudget::forget_expired(std::uint64_t now_ms) {
  const std::uint64_t now_second = now_ms / 1000;
  auto it = by_second_.begin();
  for (; it != by_second_.end() && it->first <= now_second; ++it) live_ -= it->second;
  by_second_.erase(by_second_.begin(), it);
}

}  // namespace kite::server::store
