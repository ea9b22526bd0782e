// [redis]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection redis_section() {
  using R = RedisConfig;
  return {"redis",
          "The Redis that holds the store when store.engine = \"redis\" (docs/cluster.md).",
          {
              text("redis", "address", kRedis, &R::address,
                   "Where Redis listens: \"host:port\" or \"unix:/path/to/redis.sock\";\n"
                   "\"\" = \"127.0.0.1:6379\" unless addresses or sentinels are set.\n"
                   "Set address or addresses, not both."),
              list("redis", "addresses", kRedis, &R::addresses,
                   "Several Redis servers, each the shard of the devices whose id hashes to it\n"
                   "(FNV-1a 64 of the id, modulo the count). The first also holds what is global:\n"
                   "deadlines, groups, events, presence. Changing the list moves devices away\n"
                   "from their queues (docs/cluster.md)."),
              list("redis", "sentinels", kRedis, &R::sentinels,
                   "Redis Sentinels, \"host:port\", asked where each shard's master is: at start\n"
                   "and again after a connection to it failed, so a failover is followed without\n"
                   "a restart. When set, master_names names the shards and addresses stays empty."),
              list("redis", "master_names", kRedis, &R::master_names,
                   "With sentinels: the master name of each shard, in shard order (one name: one\n"
                   "shard)."),
              text("redis", "prefix", kRedis, &R::prefix,
                   "Prefix of every key Kite writes, so that several installations can share\n"
                   "one Redis."),
              integer("redis", "timeout_ms", kRedis, &R::timeout_ms, 10, 60000,
                      "How long connecting, and then each command, may take before the call\n"
                      "fails and its connection is dropped."),
              integer("redis", "wait_replicas", kRedis, &R::wait_replicas, 0, 16,
                      "> 0: every write waits (WAIT) until that many replicas have it; fewer\n"
                      "within wait_timeout_ms and the call fails (a send answers 503), though the\n"
                      "master kept the write."),
              integer("redis", "wait_timeout_ms", kRedis, &R::wait_timeout_ms, 1, 60000,
                      "How long a write waits for its replicas (wait_replicas > 0)."),
          }};
}

}  // namespace kite::server::config::fields
