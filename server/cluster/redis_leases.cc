#include "cluster/redis_leases.h"

#include "common/log.h"
#include "common/log_limiter.h"
#include "store/random_ids.h"

namespace kite::server::cluster {
namespace {

// Renews the lease if this node holds it, takes it if nobody does: 1 when held after the call.
constexpr const char* kHoldOrTake =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "return 0";

}  // namespace

RedisLeases::RedisLeases(common::RedisAddress address, std::string prefix, int timeout_ms,
                         store::redis::MasterLookup lookup)
    : pool_(std::move(address), timeout_ms, std::move(lookup)),
      prefix_(std::move(prefix)),
      node_id_(std::to_string(store::new_epoch())) {}

bool RedisLeases::hold(const std::string& name, std::int64_t lease_ms) {
  const auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    auto it = held_.find(name);
    if (it != held_.end() && now - it->second.renewed < std::chrono::milliseconds(kRenewMs))
      return true;
  }
  std::string error;
  auto lease = pool_.take(error);
  store::redis::Reply reply;
  if (lease)
    reply = lease->command(
        {"EVAL", kHoldOrTake, "1", prefix_ + "lease:" + name, node_id_, std::to_string(lease_ms)},
        error);
  const bool held = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
  std::lock_guard lock(mutex_);
  auto it = held_.find(name);
  if (held && it == held_.end()) KITE_LOG(info, "cluster.lease_taken", {{"lease", name}});
  if (!held && it != held_.end()) KITE_LOG(warn, "cluster.lease_lost", {{"lease", name}});
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    static log::Limiter limiter(10, 1000);
    if (auto suppressed = limiter.admit())
      KITE_LOG(warn, "cluster.lease_failed",
               {{"lease", name},
                {"error", reply ? std::string(store::redis::error_of(reply.get())) : error},
                {"suppressed", *suppressed}});
  }
  if (held)
    held_[name].renewed = now;
  else if (it != held_.end())
    held_.erase(it);
  return held;
}

}  // namespace kite::server::cluster
