// Where the nodes of a cluster keep their consumer groups (cluster/redis_consumer_groups.h), so
// that the members of one group may read through any node: each change to a group is made on its
// newest state and saved atomically against the other nodes (optimistic: a change that raced
// another node's is not saved, and its caller tries again later).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events/consumer_group.h"

namespace kite::server::events {

class SharedConsumerGroups {
 public:
  using Change = std::function<void(std::optional<ConsumerGroup>& group)>;
  enum class Outcome {
    saved,     // the state `change` left is the group's (or it left nullopt: nothing to save)
    conflict,  // another node changed the group meanwhile: nothing saved
    failed,    // the store could not be asked (logged): nothing saved
    unknown,   // the save was sent and its answer lost: it may or may not have been applied
  };
  virtual ~SharedConsumerGroups() = default;

  // Runs `change` on the group's newest state (nullopt: no such group yet) and saves the state
  // it leaves. Unless saved, the caller discards whatever `change` did and tries again later.
  virtual Outcome update(const std::string& name, const Change& change) = 0;
  // The group's newest state, without changing it (nullopt: none, or the store failed).
  virtual std::optional<ConsumerGroup> load(const std::string& name) = 0;
  // Every group's name (empty when the store failed).
  virtual std::vector<std::string> names() = 0;
};

}  // namespace kite::server::events
