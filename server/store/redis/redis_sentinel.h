// Asking Redis Sentinel where a master is: `SENTINEL get-master-addr-by-name <name>` of each
// sentinel in turn until one answers. The pool (redis_connection.h) asks at start and again
// whenever its connection to the master failed, so a failover is followed without a restart.
#pragma once

#include <span>
#include <string>

#include "common/redis_address.h"

namespace kite::server::store::redis {

// The address of the master the sentinels know as `name`; false, with `error` saying what each
// sentinel answered, when none names it. Each sentinel may take `timeout_ms`.
bool ask_sentinels_for_master(std::span<const common::RedisAddress> sentinels,
                              const std::string& name, int timeout_ms, common::RedisAddress& master,
                              std::string& error);

}  // namespace kite::server::store::redis
