// The store kept in Redis: the same queue rules as the RocksDB and memory stores (QueueEngine over
// a Redis Backend), for several kited nodes that share their queues.
#pragma once

#include <memory>
#include <string>

#include "store/message_store.h"
#include "store/redis/redis_connection.h"

namespace kite::server {

struct RedisStoreOptions {
  store::redis::RedisAddress address{"127.0.0.1", 6379, false};
  std::string prefix = "kite:";  // every key starts with it (redis_keys.h)
  int timeout_ms = 2000;         // to connect, and for each command
};

// Opens the store in Redis (creating its epoch on first use). On failure: nullptr, and `error`
// says what happened and what to do.
std::unique_ptr<MessageStore> open_redis_store(const RedisStoreOptions& redis,
                                               const StoreOptions& options, std::string& error);

}  // namespace kite::server
