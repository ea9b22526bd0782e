// The Redis Backend behind open_redis_store(): the queues, groups, deadlines and event log of one
// Kite installation in one Redis (key layout: redis_keys.h; transactions: redis_transaction.h).
//
// Rules: every transaction is one MULTI ... EXEC per shard (redis_shards.h), so each shard applies
// its part whole; how durable that is is Redis's persistence setting, and WAIT when asked for
// (docs/cluster.md): the store's `sync` asks nothing more of Redis. Scans over devices (totals,
// idempotency records) visit every shard; everything global is on the control shard.
// Scans outside transactions (at start, and the sweep's deadlines) read in pages, so a large
// store never needs one huge reply. A failure is logged with its context and answered as the
// Backend interface says (false with the error, or nothing visited); the next call connects
// afresh.
#include "store/redis/redis_store.h"

#include <fmt/format.h>

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>

#include "common/log.h"
#include "store/queue_engine.h"
#include "store/random_ids.h"
#include "store/record_codec.h"
#include "store/redis/redis_shards.h"
#include "store/redis/redis_transaction.h"

namespace kite::server::store::redis {
namespace {

constexpr std::size_t kScanCount = 1000;  // keys or entries per SCAN / XRANGE / SSCAN page

class RedisBackend final : public Backend {
 public:
  RedisBackend(std::unique_ptr<RedisShards> shards, const RedisStoreOptions& options,
               std::uint64_t epoch)
      : shards_(std::move(shards)),
        keys_(options.prefix),
        wait_{options.wait_replicas, options.wait_timeout_ms},
        epoch_(epoch) {}

  std::unique_ptr<Transaction> begin() override {
    return std::make_unique<RedisTransaction>(*shards_, keys_, claiming(), wait_);
  }
  void claim_next(bool claim) override { claiming() = claim; }
  std::uint64_t epoch() const override { return epoch_; }
  bool shared() const override { return true; }  // every kited node of a cluster writes here

  void totals(std::uint64_t& messages, std::uint64_t& bytes) override {
    messages = bytes = 0;
    for_each_device_key(keys_.all_metas(), "store.totals_failed", [&](std::string_view value) {
      DeviceMeta meta;
      if (!records::decode(value, meta)) return;
      messages += meta.queued_messages;
      bytes += meta.queued_bytes;
    });
  }

  void scan_idempotency(const std::function<void(std::uint64_t)>& visit) override {
    for_each_device_key(keys_.all_idempotency(), "store.idempotency_scan_failed",
                        [&](std::string_view value) {
                          std::uint64_t expires_at_ms = 0;
                          if (records::read_u64(value, expires_at_ms)) visit(expires_at_ms);
                        });
  }

  bool put_member(std::string_view group, std::string_view device, bool member, bool,
                  std::string& error) override {
    const std::string name(group);
    const std::vector<Command> commands{
        {"MULTI"},
        {member ? "SADD" : "SREM", keys_.group(group), std::string(device)},
        {"SADD", keys_.groups(), name},
        {"EXEC"}};
    return run(commands, error);
  }

  void scan_members(const std::function<void(std::string_view, std::string_view)>& visit) override {
    std::vector<std::string> groups;
    sscan(keys_.groups(), [&](std::string_view name) { groups.emplace_back(name); });
    for (const std::string& group : groups)
      sscan(keys_.group(group), [&](std::string_view device) { visit(group, device); });
  }

  bool put_consumer_group(std::string_view group, std::string_view cursors,
                          std::string& error) override {
    const Command command{"HSET", keys_.consumer_groups(), std::string(group),
                          std::string(cursors)};
    return run(std::span(&command, 1), error);
  }

  void scan_consumer_groups(
      const std::function<void(std::string_view, std::string_view)>& visit) override {
    Reply reply = ask({"HGETALL", keys_.consumer_groups()}, "store.consumer_groups_failed");
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return;
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2)
      visit(text_of(reply->element[i]), text_of(reply->element[i + 1]));
  }

  void scan_events(const std::function<void(const EventRecord&)>& visit) override;
  bool delete_events_through(std::uint64_t id, std::string& error) override {
    if (id == std::numeric_limits<std::uint64_t>::max()) {
      const Command command{"DEL", keys_.events()};
      return run(std::span(&command, 1), error);
    }
    const Command command{"XTRIM", keys_.events(), "MINID", stream_id(id + 1)};
    return run(std::span(&command, 1), error);
  }

  void scan_deadlines(const Deadline* after, std::uint64_t through_ms, std::size_t max,
                      const std::function<void(const Deadline&)>& visit) override;

  // The store is healthy again only once every shard answers: until then /readyz says not ready.
  bool resume(std::string& error) override {
    const Command ping{"PING"};
    for (std::size_t shard = 0; shard < shards_->count(); ++shard)
      if (!run(std::span(&ping, 1), error, shards_->pool(shard))) return false;
    return true;
  }

 private:
  static bool& claiming() {  // per thread: QueueEngine's retries ask for it (claim_next)
    thread_local bool flag = false;
    return flag;
  }

  // Commands on the control shard, or on `pool`.
  bool run(std::span<const Command> commands, std::string& error) {
    return run(commands, error, shards_->control());
  }
  bool run(std::span<const Command> commands, std::string& error, RedisPool& pool) {
    RedisPool::Lease lease = pool.take(error);
    Replies replies;
    if (!lease || !lease->run(commands, replies, error)) return false;
    for (const Reply& reply : replies) {
      if (auto message = error_of(reply.get()); !message.empty()) {
        error = fmt::format("Redis refused {}: {}", commands.front().front(), message);
        return false;
      }
    }
    return true;
  }

  // One command outside a transaction, on the control shard or on `pool`; null (logged as
  // `event`) on failure or an error reply.
  Reply ask(const Command& command, const char* event) {
    return ask(command, event, shards_->control());
  }
  Reply ask(const Command& command, const char* event, RedisPool& pool) {
    std::string error;
    RedisPool::Lease lease = pool.take(error);
    Reply reply = lease ? lease->command(command, error) : nullptr;
    if (reply && !error_of(reply.get()).empty()) error = std::string(error_of(reply.get()));
    if (!reply || !error.empty()) {
      KITE_LOG(error, event, {{"redis", pool.address().to_string()}, {"error", error}});
      return nullptr;
    }
    return reply;
  }

  // Visits the value of every string key matching `pattern`, on every shard.
  template <typename Visit>
  void for_each_device_key(const std::string& pattern, const char* event, Visit&& visit) {
    for (std::size_t shard = 0; shard < shards_->count(); ++shard)
      for_each_key(shards_->pool(shard), pattern, event, visit);
  }

  // Visits the value of every string key matching `pattern` on one shard (SCAN, then MGET per
  // page).
  template <typename Visit>
  void for_each_key(RedisPool& pool, const std::string& pattern, const char* event, Visit&& visit) {
    std::string cursor = "0";
    do {
      Reply page =
          ask({"SCAN", cursor, "MATCH", pattern, "COUNT", std::to_string(kScanCount)}, event, pool);
      if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) return;
      cursor = std::string(text_of(page->element[0]));
      const redisReply* names = page->element[1];
      if (names->elements == 0) continue;
      Command mget{"MGET"};
      for (std::size_t i = 0; i < names->elements; ++i)
        mget.emplace_back(text_of(names->element[i]));
      Reply values = ask(mget, event, pool);
      if (!values || values->type != REDIS_REPLY_ARRAY) return;
      for (std::size_t i = 0; i < values->elements; ++i)
        if (values->element[i]->type == REDIS_REPLY_STRING) visit(text_of(values->element[i]));
    } while (cursor != "0");
  }

  template <typename Visit>
  void sscan(const std::string& set, Visit&& visit) {
    std::string cursor = "0";
    do {
      Reply page =
          ask({"SSCAN", set, cursor, "COUNT", std::to_string(kScanCount)}, "store.members_failed");
      if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) return;
      cursor = std::string(text_of(page->element[0]));
      for (std::size_t i = 0; i < page->element[1]->elements; ++i)
        visit(text_of(page->element[1]->element[i]));
    } while (cursor != "0");
  }

  std::unique_ptr<RedisShards> shards_;
  const RedisKeys keys_;
  const ReplicaWait wait_;
  const std::uint64_t epoch_;
};

void RedisBackend::scan_events(const std::function<void(const EventRecord&)>& visit) {
  std::string from = "-";
  for (;;) {
    Reply page = ask({"XRANGE", keys_.events(), from, "+", "COUNT", std::to_string(kScanCount)},
                     "store.events_scan_failed");
    if (!page || page->type != REDIS_REPLY_ARRAY || page->elements == 0) return;
    std::uint64_t id = 0;
    for (std::size_t i = 0; i < page->elements; ++i) {
      const redisReply* entry = page->element[i];
      const std::string_view entry_id = text_of(entry->element[0]);
      EventRecord event;
      const auto parsed = std::from_chars(entry_id.data(), entry_id.data() + entry_id.size(), id);
      const std::string key = records::event_key(id);
      if (parsed.ec == std::errc() && entry->element[1]->elements == 2 &&
          records::decode(key, text_of(entry->element[1]->element[1]), event))
        visit(event);
      else
        KITE_LOG(warn, "store.event_undecodable", {{"id", entry_id}});
    }
    if (page->elements < kScanCount) return;
    from = "(" + stream_id(id);
  }
}

void RedisBackend::scan_deadlines(const Deadline* after, std::uint64_t through_ms, std::size_t max,
                                  const std::function<void(const Deadline&)>& visit) {
  const std::string from =
      after ? "(" + deadline_member(*after) : "[" + records::deadline_key_prefix(0);
  const std::string to = "(" + records::deadline_key_prefix(through_ms + 1);
  Reply reply = ask({"ZRANGEBYLEX", keys_.deadlines(), from, to, "LIMIT", "0", std::to_string(max)},
                    "store.deadlines_scan_failed");
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return;
  std::vector<std::string> members;  // copied: visit() may write deadlines
  for (std::size_t i = 0; i < reply->elements; ++i)
    members.emplace_back(text_of(reply->element[i]));
  for (const std::string& member : members) {
    Deadline deadline;
    if (decode_deadline_member(member, deadline)) visit(deadline);
  }
}

// The store's epoch: made once (SET NX), then read by every node and every restart.
bool load_or_create_epoch(RedisPool& control, const std::string& prefix, std::uint64_t& epoch,
                          std::string& error) {
  auto connection = control.take(error);
  if (!connection) return false;
  const RedisKeys keys(prefix);
  std::string proposed;
  records::append_u64(proposed, new_epoch());
  Replies replies;
  const std::vector<Command> commands{{"SET", keys.epoch(), proposed, "NX"}, {"GET", keys.epoch()}};
  if (!connection->run(commands, replies, error)) return false;
  if (auto message = error_of(replies[1].get()); !message.empty())
    return error = fmt::format("Redis refused to read the epoch: {}", message), false;
  if (!records::read_u64(text_of(replies[1].get()), epoch))
    return error = fmt::format("undecodable epoch at {} in Redis", keys.epoch()), false;
  return true;
}

}  // namespace
}  // namespace kite::server::store::redis

namespace kite::server {

std::unique_ptr<MessageStore> open_redis_store(const RedisStoreOptions& redis,
                                               const StoreOptions& options, std::string& error) {
  // hiredis writes with write(): a Redis that went away would raise SIGPIPE, whose default action
  // ends the process. kited ignores it anyway (core/server.cc); so does any other user of this
  // store.
  std::signal(SIGPIPE, SIG_IGN);
  std::uint64_t epoch = 0;
  // A commit's reply comes after its WAIT: the connection must not give up on it before.
  const int timeout_ms = redis.timeout_ms + (redis.wait_replicas > 0 ? redis.wait_timeout_ms : 0);
  auto shards = std::make_unique<store::redis::RedisShards>(store::redis::ShardSettings{
      redis.addresses, redis.sentinels, redis.master_names, timeout_ms});
  const bool loaded =
      store::redis::load_or_create_epoch(shards->control(), redis.prefix, epoch, error);
  const std::string control = shards->control().address().to_string();  // sentinels: known now
  if (!loaded) {
    KITE_LOG(error, "store.open_failed", {{"redis", control}, {"error", error}});
    error = fmt::format("{}; start Redis there, or point redis.addresses at it", error);
    return nullptr;
  }
  const std::size_t shard_count = shards->count();
  auto store = std::make_unique<store::QueueEngine>(
      std::make_unique<store::redis::RedisBackend>(std::move(shards), redis, epoch), options);
  const StoreStats stats = store->stats();
  KITE_LOG(info, "store.opened",
           {{"redis", control},
            {"shards", shard_count},
            {"prefix", redis.prefix},
            {"messages", stats.messages},
            {"bytes", stats.bytes}});
  return store;
}

bool load_or_create_resume_key(const RedisStoreOptions& redis, std::span<std::uint8_t> key,
                               std::string& error) {
  using namespace store::redis;
  std::string proposed(key.size(), '\0');
  for (std::size_t got = 0; got < proposed.size();) {
    const ssize_t n = ::getrandom(proposed.data() + got, proposed.size() - got, 0);
    if (n < 0 && errno != EINTR) return error = "no random bytes from the OS", false;
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  auto connection = RedisConnection::connect(redis.address, redis.timeout_ms, error);
  if (!connection) return false;
  const RedisKeys keys(redis.prefix);
  Replies replies;
  const std::vector<Command> commands{{"SET", keys.resume_key(), proposed, "NX"},
                                      {"GET", keys.resume_key()}};
  if (!connection->run(commands, replies, error)) return false;
  const std::string_view stored = text_of(replies[1].get());
  if (stored.size() != key.size())
    return error =
               fmt::format("no {}-byte resume key at {} in Redis", key.size(), keys.resume_key()),
           false;
  std::copy(stored.begin(), stored.end(), key.begin());
  return true;
}

}  // namespace kite::server
