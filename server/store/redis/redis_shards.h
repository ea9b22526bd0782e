// The Redis servers of a sharded store, and which one holds what.
//
//   shard of a device = fnv1a64(device id) % number of shards
//
// Every key of a device (meta, queue, conflation, idempotency, claim: redis_keys.h) lives on its
// device's shard; the store's global keys (epoch, deadlines, groups, consumer groups, events) and
// the cluster's presence, leases and channels live on the first shard, the control shard. The
// hash is FNV-1a 64 over the id's bytes: fixed by its definition, not by a library or a build,
// so every node of every version puts a device on the same shard. Changing the list of shards
// moves devices: their queues stay behind on the old shard (docs/cluster.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "store/redis/redis_connection.h"

namespace kite::server::store::redis {

// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211).
constexpr std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

// Where each shard's master is: fixed addresses, or names the sentinels resolve.
struct ShardSettings {
  std::vector<RedisAddress> addresses;    // one per shard, without sentinels
  std::vector<RedisAddress> sentinels;    // when set, master_names say the shards
  std::vector<std::string> master_names;  // one per shard
  int timeout_ms = 2000;
};

class RedisShards {
 public:
  static constexpr std::size_t kControl = 0;

  explicit RedisShards(const ShardSettings& settings);

  std::size_t count() const { return pools_.size(); }
  std::size_t shard_of(std::string_view device) const { return fnv1a64(device) % pools_.size(); }
  RedisPool& pool(std::size_t shard) { return *pools_[shard]; }
  RedisPool& control() { return *pools_[kControl]; }

 private:
  std::vector<std::unique_ptr<RedisPool>> pools_;
};

}  // namespace kite::server::store::redis
