#include "store/redis/redis_transaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "store/random_ids.h"
#include "store/record_codec.h"

namespace kite::server::store::redis {
namespace {

constexpr std::size_t kScanPage = 128;  // queue entries read per XRANGE

std::string hash_field_key(const std::string& hash, std::string_view field) {
  std::string key = hash;
  key.push_back('\0');
  key.append(field);
  return key;
}

std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// The <n> of a stream id "<n>-<m>"; false if it is not one.
bool id_number(std::string_view id, std::uint64_t& n) {
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  return ec == std::errc() && end != id.data() && end < id.data() + id.size() && *end == '-';
}

}  // namespace

RedisTransaction::RedisTransaction(RedisShards& shards, const RedisKeys& keys, bool claiming,
                                   ReplicaWait wait)
    : shards_(shards),
      keys_(keys),
      wait_(wait),
      links_(shards.count()),
      claiming_(claiming),
      token_(claiming || shards.count() > 1 ? std::to_string(new_epoch()) : std::string()) {}

// A transaction that read without writing leaves its WATCHes behind: they must not reach the next
// transaction on this connection. Without claims to delete, the connection's next pipeline ends
// them (defer_unwatch): a read-only call costs no round trip for it.
RedisTransaction::~RedisTransaction() {
  for (Link& link : links_) {
    if (!link.lease || link.lease->broken() || (!link.watching && link.claims.empty())) continue;
    if (link.claims.empty()) {  // the connection's next pipeline ends the WATCHes: no round trip
      link.lease->defer_unwatch();
      continue;
    }
    std::vector<Command> cleanup{{"UNWATCH"}};
    for (const std::string& claim : link.claims) cleanup.push_back({"DEL", claim});
    Replies ignored;
    std::string error;
    link.lease->run(cleanup, ignored, error);
  }
}

void RedisTransaction::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
}

RedisConnection* RedisTransaction::connection(std::size_t shard) {
  if (!error_.empty()) return nullptr;
  Link& link = links_[shard];
  if (!link.lease) {
    std::string error;
    link.lease = shards_.pool(shard).take(error);
    if (!link.lease) return fail(std::move(error)), nullptr;
  }
  return link.lease.operator->();
}

Reply RedisTransaction::ask(std::size_t shard, const Command& command) {
  RedisConnection* redis = connection(shard);
  if (!redis) return nullptr;
  std::string error;
  Reply reply = redis->command(command, error);
  if (!reply) {
    fail(std::move(error));
    return nullptr;
  }
  if (auto message = error_of(reply.get()); !message.empty()) {
    fail(fmt::format("Redis refused {}: {}", command.front(), message));
    return nullptr;
  }
  return reply;
}

std::optional<std::string> RedisTransaction::load(std::size_t shard, const std::string& key,
                                                  const std::string* field) {
  const std::string overlay_key = field ? hash_field_key(key, *field) : key;
  if (auto it = values_.find(overlay_key); it != values_.end()) return it->second;
  Reply reply = field ? ask(shard, {"HGET", key, *field}) : ask(shard, {"GET", key});
  if (!reply || reply->type == REDIS_REPLY_NIL) return std::nullopt;
  if (reply->type != REDIS_REPLY_STRING) {
    fail(fmt::format("unexpected Redis reply type {} for {}", reply->type, key));
    return std::nullopt;
  }
  return std::string(reply->str, reply->len);
}

template <typename Record>
std::optional<Record> RedisTransaction::decoded(const std::optional<std::string>& value,
                                                std::string_view what) {
  if (!value) return std::nullopt;
  Record record;
  if (records::decode(*value, record)) return record;
  fail(fmt::format("undecodable {} record in Redis", what));
  return std::nullopt;
}

DeviceMeta RedisTransaction::meta(std::string_view device) {
  const std::string key = keys_.meta(device);
  auto it = values_.find(key);
  return decoded<DeviceMeta>(it != values_.end() ? it->second : guarded_meta(device), "meta")
      .value_or(DeviceMeta{});
}

std::optional<std::string> RedisTransaction::guarded_meta(std::string_view device) {
  const std::size_t shard = shards_.shard_of(device);
  RedisConnection* redis = connection(shard);
  if (!redis) return std::nullopt;
  Link& link = links_[shard];
  const std::string meta_key = keys_.meta(device), claim_key = keys_.claim(device);
  std::vector<Command> commands;
  if (!primary_) primary_ = shard;
  // Off the first shard, a device is claimed: that shard's EXEC comes after another's applied.
  if (claiming_ || shard != *primary_)
    commands.push_back({"SET", claim_key, token_, "NX", "PX", "100"});
  commands.push_back({"WATCH", meta_key, claim_key});
  commands.push_back({"MGET", meta_key, claim_key});
  link.watching = true;
  Replies replies;
  std::string error;
  if (!redis->run(commands, replies, error)) return fail(std::move(error)), std::nullopt;
  for (const Reply& reply : replies)
    if (auto message = error_of(reply.get()); !message.empty())
      return fail(fmt::format("Redis refused a read: {}", message)), std::nullopt;
  const redisReply* values = replies.back().get();
  if (values->type != REDIS_REPLY_ARRAY || values->elements != 2)
    return fail("MGET did not answer two values"), std::nullopt;
  const std::string_view holder = text_of(values->element[1]);
  if (!holder.empty() && holder != token_) {
    conflicted_ = true;
    return fail("another kited node is writing this device"), std::nullopt;
  }
  if (!holder.empty() &&
      std::find(link.claims.begin(), link.claims.end(), claim_key) == link.claims.end())
    link.claims.push_back(claim_key);
  if (values->element[0]->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(text_of(values->element[0]));
}

std::optional<ConflationEntry> RedisTransaction::conflation(std::string_view device,
                                                            std::string_view key) {
  const std::string field(key);
  return decoded<ConflationEntry>(load(shards_.shard_of(device), keys_.conflation(device), &field),
                                  "conflation");
}

std::optional<IdempotencyEntry> RedisTransaction::idempotency(std::string_view device,
                                                              std::string_view key) {
  return decoded<IdempotencyEntry>(
      load(shards_.shard_of(device), keys_.idempotency(device, key), nullptr), "idempotency");
}

bool RedisTransaction::read_page(std::size_t shard, const std::string& queue, std::uint64_t from,
                                 std::size_t count,
                                 std::vector<std::pair<std::uint64_t, std::string>>& page) {
  page.clear();
  Reply reply = ask(shard, {"XRANGE", queue, stream_id(from), "+", "COUNT", std::to_string(count)});
  if (!reply) return false;
  if (reply->type != REDIS_REPLY_ARRAY) return fail("XRANGE did not answer an array"), false;
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    std::uint64_t seq = 0;
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        !id_number(text_of(entry->element[0]), seq) ||
        entry->element[1]->type != REDIS_REPLY_ARRAY || entry->element[1]->elements != 2)
      return fail(fmt::format("malformed queue entry in {}", queue)), false;
    page.emplace_back(seq, std::string(text_of(entry->element[1]->element[1])));
  }
  return true;
}

// Merges the queue read from Redis, a page at a time, with this transaction's own writes to it:
// at equal seqs the overlay wins (a put replaces, a deletion hides).
void RedisTransaction::scan(std::string_view device, std::uint64_t after_seq,
                            const std::function<bool(const MessageView&)>& visit) {
  if (after_seq == std::numeric_limits<std::uint64_t>::max()) return;
  const std::string queue = keys_.queue(device);
  static const std::map<std::uint64_t, Pending> kNone;
  const auto found = messages_.find(queue);
  const auto& overlay = found == messages_.end() ? kNone : found->second;
  auto mine = overlay.upper_bound(after_seq);
  std::vector<std::pair<std::uint64_t, std::string>> page;
  std::size_t at = 0;
  bool more_in_redis = true;
  std::uint64_t from = after_seq + 1;
  auto emit = [&](std::uint64_t seq, const std::string& value) {
    MessageView message;
    if (!records::decode(value, message)) return fail("undecodable message record in Redis"), false;
    message.seq = seq;
    return visit(message);
  };
  for (;;) {
    if (at == page.size() && more_in_redis) {
      if (!read_page(shards_.shard_of(device), queue, from, kScanPage, page)) return;
      at = 0;
      more_in_redis = page.size() == kScanPage;
      if (!page.empty()) from = page.back().first + 1;
    }
    const bool have_theirs = at < page.size();
    const bool have_mine = mine != overlay.end();
    if (!have_theirs && !have_mine) return;
    if (have_mine && (!have_theirs || mine->first <= page[at].first)) {
      if (have_theirs && mine->first == page[at].first) ++at;  // shadowed by this transaction
      const auto& [seq, value] = *mine++;
      if (value && !emit(seq, *value)) return;
      continue;
    }
    if (!emit(page[at].first, page[at].second)) return;
    ++at;
  }
}

void RedisTransaction::put_meta(std::string_view device, const DeviceMeta& meta) {
  std::string key = keys_.meta(device);
  std::string value = records::encode(meta);
  write(device, {"SET", key, value});
  values_[std::move(key)] = std::move(value);
}

void RedisTransaction::put_message(std::string_view device, const MessageView& message) {
  std::string queue = keys_.queue(device);
  std::string value = records::encode(message);
  write(device, {"XADD", queue, stream_id(message.seq), "m", value});
  messages_[std::move(queue)][message.seq] = std::move(value);
}

void RedisTransaction::delete_message(std::string_view device, std::uint64_t seq) {
  std::string queue = keys_.queue(device);
  write(device, {"XDEL", queue, stream_id(seq)});
  messages_[std::move(queue)][seq] = std::nullopt;
}

void RedisTransaction::put_conflation(std::string_view device, std::string_view key,
                                      const ConflationEntry& entry) {
  const std::string hash = keys_.conflation(device);
  std::string value = records::encode(entry);
  write(device, {"HSET", hash, std::string(key), value});
  values_[hash_field_key(hash, key)] = std::move(value);
}

void RedisTransaction::delete_conflation(std::string_view device, std::string_view key) {
  const std::string hash = keys_.conflation(device);
  write(device, {"HDEL", hash, std::string(key)});
  values_[hash_field_key(hash, key)] = std::nullopt;
}

// Redis forgets the record itself when its window ends. A window already over by the wall clock
// (tests with a fake clock) gets no expiry: PXAT in the past would delete it at once, before the
// engine, which judges by the time it is given, is done with it.
void RedisTransaction::put_idempotency(std::string_view device, std::string_view key,
                                       const IdempotencyEntry& entry, std::uint64_t) {
  std::string redis_key = keys_.idempotency(device, key);
  std::string value = records::encode(entry);
  if (entry.expires_at_ms > wall_now_ms())
    write(device, {"SET", redis_key, value, "PXAT", std::to_string(entry.expires_at_ms)});
  else
    write(device, {"SET", redis_key, value});
  values_[std::move(redis_key)] = std::move(value);
}

void RedisTransaction::put_deadline(const Deadline& deadline) {
  write_global(shards_.shard_of(deadline.device),
               {"ZADD", keys_.deadlines(), "0", deadline_member(deadline)});
}

void RedisTransaction::delete_deadline(const Deadline& deadline) {
  write_global(shards_.shard_of(deadline.device),
               {"ZREM", keys_.deadlines(), deadline_member(deadline)});
}

void RedisTransaction::put_event(const EventRecord& event) {
  write_global(RedisShards::kControl,
               {"XADD", keys_.events(), stream_id(event.id), "e", records::encode(event)});
}

void RedisTransaction::write(std::string_view device, Command command) {
  const std::size_t shard = shards_.shard_of(device);
  links_[shard].writes.push_back({std::move(command), shard});
}

void RedisTransaction::write_global(std::size_t owner, Command command) {
  links_[RedisShards::kControl].writes.push_back({std::move(command), owner});
}

}  // namespace kite::server::store::redis
