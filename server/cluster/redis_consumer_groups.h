// The consumer groups of a cluster, in Redis: each group's whole state (ConsumerGroup::encode)
// under one key, changed with WATCH / MULTI / EXEC so that two nodes never both save a change
// made on the same state.
//
//   <p>cg:<group>   string   the group's state
//   <p>cg-names     set      every group's name
#pragma once

#include <string>

#include "events/shared_consumer_groups.h"
#include "store/redis/redis_connection.h"

namespace kite::server::cluster {

class RedisConsumerGroups final : public events::SharedConsumerGroups {
 public:
  RedisConsumerGroups(common::RedisAddress address, std::string prefix, int timeout_ms,
                      events::ConsumerGroupTimeouts timeouts,
                      store::redis::MasterLookup lookup = {})
      : pool_(std::move(address), timeout_ms, std::move(lookup)),
        prefix_(std::move(prefix)),
        timeouts_(timeouts) {}

  Outcome update(const std::string& name, const Change& change) override;
  std::optional<events::ConsumerGroup> load(const std::string& name) override;
  std::vector<std::string> names() override;

 private:
  std::string key(const std::string& name) const { return prefix_ + "cg:" + name; }
  // The group in a GET's reply; nullopt (and logged) for bytes that are not a group's state.
  std::optional<events::ConsumerGroup> decoded(const std::string& name, const redisReply* reply);

  store::redis::RedisPool pool_;
  const std::string prefix_;
  const events::ConsumerGroupTimeouts timeouts_;
};

}  // namespace kite::server::cluster
