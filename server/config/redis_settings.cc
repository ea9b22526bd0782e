#include "config/redis_settings.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/redis_address.h"
#include "config/toml_text.h"

namespace kite::server::config {
namespace {

// Each entry an address, none twice.
void check_list(std::string_view key, const std::vector<std::string>& list,
                std::vector<Problem>& out) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    common::RedisAddress parsed;
    if (auto problem = common::RedisAddress::parse(list[i], parsed); !problem.empty())
      out.push_back({fmt::format("{}[{}]", key, i), problem});
    if (std::find(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i), list[i]) !=
        list.begin() + static_cast<std::ptrdiff_t>(i))
      out.push_back({std::string(key), fmt::format("{} is listed twice", toml_quoted(list[i]))});
  }
}

}  // namespace

std::vector<std::string> redis_shard_addresses(const RedisConfig& redis) {
  if (!redis.addresses.empty()) return redis.addresses;
  return {redis.address.empty() ? std::string(kDefaultRedisAddress) : redis.address};
}

void check_redis(const RedisConfig& redis, std::vector<Problem>& out) {
  if (!redis.address.empty() && !redis.addresses.empty())
    out.push_back(
        {"redis.addresses", "set redis.address (one Redis) or redis.addresses (shards), not both"});
  if (!redis.sentinels.empty()) {
    if (redis.master_names.empty())
      out.push_back({"redis.master_names",
                     "redis.sentinels is set: name each shard's master, as the sentinels know it"});
    if (!redis.address.empty() || !redis.addresses.empty())
      out.push_back({"redis.sentinels",
                     "with sentinels the masters are asked of them: leave redis.address and "
                     "redis.addresses empty"});
    check_list("redis.sentinels", redis.sentinels, out);
  } else if (!redis.master_names.empty()) {
    out.push_back({"redis.master_names", "master names need redis.sentinels to ask"});
  }
  const auto& names = redis.master_names;
  for (auto name = names.begin(); name != names.end(); ++name)
    if (std::find(names.begin(), name, *name) != name)
      out.push_back({"redis.master_names", fmt::format("{} is listed twice", toml_quoted(*name))});
  if (!redis.address.empty()) check_list("redis.address", {redis.address}, out);
  check_list("redis.addresses", redis.addresses, out);
}

}  // namespace kite::server::config
