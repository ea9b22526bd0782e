// [redis] beyond what each row of the field table checks: the shards the keys name, and the rules
// between the keys (address or addresses, sentinels with master names).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/validate.h"

namespace kite::server::config {

inline constexpr const char* kDefaultRedisAddress = "127.0.0.1:6379";

// The shards' addresses, in shard order: `addresses`, else `address`, else the default. Without
// meaning when sentinels are set (master_names then name the shards).
std::vector<std::string> redis_shard_addresses(const RedisConfig& redis);

// Appends what is wrong with [redis] for store.engine = "redis".
void check_redis(const RedisConfig& redis, std::vector<Problem>& out);

}  // namespace kite::server::config
