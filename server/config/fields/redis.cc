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
                   "Where Redis listens: \"host:port\" or \"unix:/path/to/redis.sock\"."),
              text("redis", "prefix", kRedis, &R::prefix,
                   "Prefix of every key Kite writes, so that several installations can share\n"
                   "one Redis."),
              integer("redis", "timeout_ms", kRedis, &R::timeout_ms, 10, 60000,
                      "How long connecting, and then each command, may take before the call\n"
                      "fails and its connection is dropped."),
          }};
}

}  // namespace kite::server::config::fields
