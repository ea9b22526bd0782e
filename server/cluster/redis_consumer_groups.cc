#include "cluster/redis_consumer_groups.h"

#include "common/log.h"
#include "common/log_limiter.h"

namespace kite::server::cluster {
namespace {

using store::redis::Command;
using store::redis::error_of;
using store::redis::Replies;
using store::redis::text_of;

void log_failure(const char* event, const std::string& group, std::string_view error) {
  static log::Limiter limiter(10, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, event, {{"group", group}, {"error", error}, {"suppressed", *suppressed}});
}

}  // namespace

std::optional<events::ConsumerGroup> RedisConsumerGroups::decoded(const std::string& name,
                                                                  const redisReply* reply) {
  if (!reply || reply->type != REDIS_REPLY_STRING) return std::nullopt;
  auto group = events::ConsumerGroup::decode(name, text_of(reply), timeouts_);
  // Not ours (another version, or damaged): the group starts again rather than stall for ever.
  if (!group) log_failure("events.consumer_group_undecodable", name, "state not understood");
  return group;
}

auto RedisConsumerGroups::update(const std::string& name, const Change& change) -> Outcome {
  std::string error;
  auto lease = pool_.take(error);
  Replies replies;
  if (!lease ||
      !lease->run(std::vector<Command>{{"WATCH", key(name)}, {"GET", key(name)}}, replies, error)) {
    log_failure("events.consumer_group_failed", name, error);
    return Outcome::failed;
  }
  std::optional<events::ConsumerGroup> group = decoded(name, replies[1].get());
  change(group);
  if (!group) {
    lease->run(std::vector<Command>{{"UNWATCH"}}, replies, error);
    return Outcome::saved;
  }
  const std::vector<Command> save{{"MULTI"},
                                  {"SET", key(name), group->encode()},
                                  {"SADD", prefix_ + "cg-names", name},
                                  {"EXEC"}};
  if (!lease->run(save, replies, error)) {
    log_failure("events.consumer_group_failed", name, error);
    return Outcome::unknown;  // the EXEC may have been applied before the answer was lost
  }
  const redisReply* exec = replies.back().get();
  if (exec->type == REDIS_REPLY_NIL) return Outcome::conflict;  // changed since the WATCH
  if (exec->type != REDIS_REPLY_ARRAY) {
    log_failure("events.consumer_group_failed", name, error_of(exec));
    return Outcome::failed;
  }
  return Outcome::saved;
}

std::optional<events::ConsumerGroup> RedisConsumerGroups::load(const std::string& name) {
  std::string error;
  auto lease = pool_.take(error);
  store::redis::Reply reply;
  if (lease) reply = lease->command({"GET", key(name)}, error);
  if (!reply) log_failure("events.consumer_group_failed", name, error);
  return decoded(name, reply.get());
}

std::vector<std::string> RedisConsumerGroups::names() {
  std::string error;
  auto lease = pool_.take(error);
  store::redis::Reply reply;
  if (lease) reply = lease->command({"SMEMBERS", prefix_ + "cg-names"}, error);
  std::vector<std::string> out;
  if (!reply || reply->type != REDIS_REPLY_ARRAY) {
    log_failure("events.consumer_group_failed", "", reply ? "not a set" : error);
    return out;
  }
  for (std::size_t i = 0; i < reply->elements; ++i) out.emplace_back(text_of(reply->element[i]));
  return out;
}

}  // namespace kite::server::cluster
