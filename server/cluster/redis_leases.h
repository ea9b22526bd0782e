// Leases in Redis, one per name, held by one node at a time: which node sends each webhook.
//
//   <p>lease:<name>   string   the holding node's id, expiring lease_ms after its last renewal
//
// A holder renews at most every kRenewMs (hold() answers from memory in between), so a holder
// that stops (killed, cut off from Redis, stuck) loses the lease within lease_ms and another node
// takes it. Two nodes can both believe they hold it only when one is stalled past kLeaseMs between
// a hold() and what it guards (longer than lease_ms): the webhook rules allow that (at least once;
// receivers dedupe by event id).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/redis/redis_connection.h"
#include "webhooks/send_lease.h"

namespace kite::server::cluster {

class RedisLeases final : public webhooks::SendLease {
 public:
  static constexpr int kRenewMs = 1'000;

  RedisLeases(common::RedisAddress address, std::string prefix, int timeout_ms,
              store::redis::MasterLookup lookup = {});
  bool hold(const std::string& name, std::int64_t lease_ms) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Held {
    Clock::time_point renewed;
  };

  store::redis::RedisPool pool_;
  const std::string prefix_;
  const std::string node_id_;
  std::mutex mutex_;
  std::unordered_map<std::string, Held> held_;  // guarded by mutex_
};

}  // namespace kite::server::cluster
