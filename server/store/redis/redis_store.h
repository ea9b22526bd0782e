// The store kept in Redis: the same queue rules as the RocksDB and memory stores (QueueEngine over
// a Redis Backend), for several kited nodes that share their queues.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/message_store.h"
#include "store/redis/redis_connection.h"

namespace kite::server {

struct RedisStoreOptions {
  // One per shard (redis_shards.h); the first is the control shard.
  std::vector<store::redis::RedisAddress> addresses{{"127.0.0.1", 6379, false}};
  // When set, master_names name the shards (one each) and the sentinels say where each master
  // is; `addresses` is then unused.
  std::vector<store::redis::RedisAddress> sentinels;
  std::vector<std::string> master_names;
  // The control shard, for the cluster's own connections (presence, leases): addresses' first,
  // or with sentinels the master they named when these options were made. The store itself
  // follows `addresses` or the sentinels, not this.
  store::redis::RedisAddress address{"127.0.0.1", 6379, false};
  // With sentinels: how the cluster's own pools find the control shard's master again after a
  // failover (the first master name).
  store::redis::MasterLookup control_lookup;
  std::string prefix = "kite:";  // every key starts with it (redis_keys.h)
  int timeout_ms = 2000;         // to connect, and for each command
  int wait_replicas = 0;         // > 0: each EXEC is followed by WAIT for that many replicas
  int wait_timeout_ms = 1000;    // how long that WAIT may take
};

// Opens the store in Redis (creating its epoch on first use). On failure: nullptr, and `error`
// says what happened and what to do.
std::unique_ptr<MessageStore> open_redis_store(const RedisStoreOptions& redis,
                                               const StoreOptions& options, std::string& error);

// The key of the resume tokens (core/resume_tokens.h) for every node on this Redis: made once
// (SET NX, from the OS's random source) by the first node, read by the others and by every
// restart. Shared so that a device that reconnects to another node resumes its session there
// (a key per node made every move a new session: the SDK then handed redelivered messages to
// the app again). `key` must be 32 bytes. false with `error` set.
bool load_or_create_resume_key(const RedisStoreOptions& redis, std::span<std::uint8_t> key,
                               std::string& error);

}  // namespace kite::server
