// [redis]: address or addresses (shards), sentinels with master names, and the list the store
// gets (config/redis_settings.h).
#include <doctest/doctest.h>

#include "config/redis_settings.h"
#include "config/validate.h"

using namespace kite::server::config;

using Problems = std::vector<Problem>;

namespace {

Config on_redis() {
  Config c;
  c.store.engine = StoreEngine::redis;
  return c;
}

}  // namespace

TEST_CASE("the shards: addresses, else address, else the default Redis") {
  RedisConfig redis;
  CHECK(redis_shard_addresses(redis) == std::vector<std::string>{"127.0.0.1:6379"});
  redis.address = "unix:/run/redis.sock";
  CHECK(redis_shard_addresses(redis) == std::vector<std::string>{"unix:/run/redis.sock"});
  redis.address.clear();
  redis.addresses = {"10.0.0.1:6379", "10.0.0.2:6379"};
  CHECK(redis_shard_addresses(redis) == redis.addresses);
}

TEST_CASE("address and addresses are exclusive; every address must parse, none twice") {
  Config c = on_redis();
  CHECK(validate(c) == Problems{});
  c.redis.address = "10.0.0.1:6379";
  c.redis.addresses = {"10.0.0.2:6379", "nowhere", "10.0.0.2:6379"};
  const Problems problems = validate(c);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].key == "redis.addresses");
  CHECK(problems[0].message.find("not both") != std::string::npos);
  CHECK(problems[1].key == "redis.addresses[1]");
  CHECK(problems[2].message == "\"10.0.0.2:6379\" is listed twice");
  c.store.engine = StoreEngine::rocksdb;  // not used: not checked
  CHECK(validate(c) == Problems{});
}

TEST_CASE("sentinels need master names and no addresses; names need sentinels") {
  Config c = on_redis();
  c.redis.sentinels = {"10.0.0.9:26379"};
  CHECK(validate(c) == Problems{{"redis.master_names",
                                 "redis.sentinels is set: name each "
                                 "shard's master, as the sentinels know it"}});
  c.redis.master_names = {"kite-0", "kite-1"};
  CHECK(validate(c) == Problems{});
  c.redis.addresses = {"10.0.0.1:6379"};
  CHECK(validate(c).front().key == "redis.sentinels");
  c.redis.addresses.clear();
  c.redis.sentinels.clear();
  CHECK(validate(c) ==
        Problems{{"redis.master_names", "master names need redis.sentinels to ask"}});
}

TEST_CASE("wait_replicas and wait_timeout_ms have ranges") {
  Config c = on_redis();
  c.redis.wait_replicas = 17;
  c.redis.wait_timeout_ms = 0;
  const Problems problems = validate(c);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].key == "redis.wait_replicas");
  CHECK(problems[1].key == "redis.wait_timeout_ms");
}
