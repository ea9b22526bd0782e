#include "store/redis/redis_shards.h"

namespace kite::server::store::redis {

RedisShards::RedisShards(const ShardSettings& settings) {
  if (!settings.sentinels.empty()) {
    for (const std::string& name : settings.master_names)
      pools_.push_back(std::make_unique<RedisPool>(RedisAddress{}, settings.timeout_ms,
                                                   MasterLookup{settings.sentinels, name}));
  } else {
    for (const RedisAddress& address : settings.addresses)
      pools_.push_back(std::make_unique<RedisPool>(address, settings.timeout_ms));
  }
  // A store always has a control shard: an empty list means the default Redis.
  if (pools_.empty())
    pools_.push_back(
        std::make_unique<RedisPool>(RedisAddress{"127.0.0.1", 6379, false}, settings.timeout_ms));
}

}  // namespace kite::server::store::redis
