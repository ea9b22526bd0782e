// RedisTransaction::commit(): one MULTI ... EXEC per shard written (redis_transaction.h).
//
// Order: the shard of the first device read (the primary: its devices are not claimed, so its
// EXEC may meet a race, and must come while nothing is applied yet), then the other device
// shards, then the control shard's global writes (deadlines, events). When the primary is the
// control shard, its first EXEC holds only what its own devices own. A shard whose EXEC applied
// nothing "owns" its devices' deadline entries: they are left out of the control shard's last
// EXEC, so a deadline never names a seq that was not stored (a seq not stored is given again to
// the next message, which a stale fallback deadline would then cancel). The opposite loss, a
// message stored and its deadline entry not, only delays it: expiry is checked again at every
// read.
// Until something was applied, a failure is the whole transaction's (nothing stored; a conflict
// makes the engine start again); after, the other shards are still written and the call fails
// as a whole though part of it stands (docs/cluster.md, "Several shards").
#include <fmt/format.h>

#include <atomic>
#include <chrono>

#include "common/log.h"
#include "store/redis/redis_transaction.h"

namespace kite::server::store::redis {
namespace {

// Logs a write fewer replicas confirmed than asked, at most once a second: when replicas are away
// every write says so, and the log must not drown.
void log_unreplicated(const std::string& redis, long long confirmed, int wanted) {
  static std::atomic<std::int64_t> last_ms{0};
  static std::atomic<std::uint64_t> unlogged{0};
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::int64_t last = last_ms.load(std::memory_order_relaxed);
  if (now_ms - last < 1000 ||
      !last_ms.compare_exchange_strong(last, now_ms, std::memory_order_relaxed)) {
    unlogged.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  KITE_LOG(error, "redis.wait_failed",
           {{"redis", redis},
            {"confirmed", confirmed},
            {"wanted", wanted},
            {"more_since_last_log", unlogged.exchange(0, std::memory_order_relaxed)}});
}

}  // namespace

std::vector<Command> RedisTransaction::exec_commands(std::size_t shard,
                                                     const std::vector<bool>& lost, bool own_only) {
  std::vector<Command> commands{{"MULTI"}};
  for (Write& write : links_[shard].writes) {
    if (write.taken || lost[write.owner] || (own_only && write.owner != shard)) continue;
    write.taken = true;
    commands.push_back(write.command);
  }
  if (commands.size() == 1) return {};
  for (const std::string& claim : links_[shard].claims) commands.push_back({"DEL", claim});
  commands.push_back({"EXEC"});
  return commands;
}

RedisTransaction::Exec RedisTransaction::exec(std::size_t shard, std::vector<Command> commands,
                                              std::string& error) {
  Link& link = links_[shard];
  if (!link.lease) link.lease = shards_.pool(shard).take(error);
  if (!link.lease) return Exec::Failed;
  const std::size_t exec_at = commands.size() - 1;
  if (wait_.replicas > 0)
    commands.push_back({"WAIT", std::to_string(wait_.replicas), std::to_string(wait_.timeout_ms)});
  Replies replies;
  if (!link.lease->run(commands, replies, error)) return Exec::Failed;
  for (std::size_t i = 0; i <= exec_at; ++i)
    if (auto message = error_of(replies[i].get()); !message.empty())
      return error = fmt::format("Redis refused the write: {}", message), Exec::Failed;
  link.watching = false;  // EXEC ends them, applied or not
  const redisReply* applied = replies[exec_at].get();
  if (applied->type == REDIS_REPLY_NIL) {
    error = "another kited node wrote one of these devices meanwhile";
    return Exec::Conflicted;
  }
  if (applied->type != REDIS_REPLY_ARRAY)
    return error = "the Redis transaction was aborted", Exec::Failed;
  link.claims.clear();  // deleted by the EXEC
  for (std::size_t i = 0; i < applied->elements; ++i)
    if (auto message = error_of(applied->element[i]); !message.empty())
      return error = fmt::format("Redis refused part of a write: {}", message), Exec::Failed;
  if (wait_.replicas == 0) return Exec::Applied;
  const redisReply* confirmed = replies.back().get();
  if (confirmed->type == REDIS_REPLY_INTEGER && confirmed->integer >= wait_.replicas)
    return Exec::Applied;
  const long long count = confirmed->type == REDIS_REPLY_INTEGER ? confirmed->integer : 0;
  log_unreplicated(link.lease->peer(), count, wait_.replicas);
  link.lease->discard();  // a master left without replicas may have been replaced: ask again
  error = fmt::format("only {} of {} Redis replicas confirmed the write within {} ms", count,
                      wait_.replicas, wait_.timeout_ms);
  return Exec::Unreplicated;
}

bool RedisTransaction::commit(bool /*sync: Redis's own persistence decides*/, std::string& error) {
  if (!error_.empty()) return error = error_, false;
  const std::size_t primary = primary_.value_or(RedisShards::kControl);
  std::vector<std::pair<std::size_t, bool>> steps{{primary, true}};  // shard, own writes only
  for (std::size_t shard = 1; shard < links_.size(); ++shard)
    if (shard != primary && !links_[shard].writes.empty()) steps.emplace_back(shard, true);
  steps.emplace_back(RedisShards::kControl, false);
  std::vector<bool> lost(links_.size(), false);  // shards that applied nothing
  bool stored = false;                           // some shard applied its part
  std::string failure;
  for (const auto& [shard, own_only] : steps) {
    std::vector<Command> commands = exec_commands(shard, lost, own_only);
    if (commands.empty()) continue;
    std::string why;
    const Exec result = exec(shard, std::move(commands), why);
    if (result == Exec::Applied) {
      stored = true;
      continue;
    }
    if (result != Exec::Unreplicated) {
      lost[shard] = true;
      if (!stored) {  // nothing of the transaction is stored: it failed whole
        conflicted_ = result == Exec::Conflicted;
        return error = std::move(why), false;
      }
    }
    stored = true;
    if (failure.empty()) failure = std::move(why);
  }
  for (Link& link : links_) link.writes.clear();
  if (failure.empty()) return true;
  error = fmt::format("part of this write may be stored: {}", failure);
  return false;
}

}  // namespace kite::server::store::redis
