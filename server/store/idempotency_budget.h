// IdempotencyBudget: how many idempotency records are live (within their window), against a cap.
//
// Idempotency records are small, but a sender that gives every message a new key writes one per
// message, and they stay on disk for the whole window (24 h by default) whether or not the message
// was delivered: without a cap of their own they are the one thing that can fill the disk while
// every queue cap holds. Rules:
// - A record counts from the moment it is staged until its expiry time; counts are kept per
//   second of expiry, so forgetting what expired is cheap and needs no timer.
// - has_room() and add() are separate: the engine asks before deciding a message, and adds only
//   what it staged. Concurrent callers can therefore pass the cap by what they have in flight.
// - A record whose write then fails stays counted until it would have expired: the count errs
//   high, never low.
// - Thread-safe (its own small lock, never held across storage I/O).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

namespace kite::server::store {

class IdempotencyBudget {
 public:
  explicit IdempotencyBudget(std::uint64_t max_records) : max_(max_records) {}

  bool has_room(std::uint64_t now_ms);
  void add(std::uint64_t expires_at_ms);
  // What is counted now, expired seconds included until the next has_room() forgets them.
  std::uint64_t counted() const;

 private:
  void forget_expired(std::uint64_t now_ms);  // caller holds mutex_

  const std::uint64_t max_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> by_second_;  // expiry second (rounded up) -> records
  std::uint64_t live_ = 0;
};

}  // namespace kite::server::store
