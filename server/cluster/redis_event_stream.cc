#include "cluster/redis_event_stream.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "common/log.h"
#include "common/log_limiter.h"
#include "common/wall_clock.h"
#include "events/event.h"
#include "store/random_ids.h"
#include "store/record_codec.h"

namespace kite::server::cluster {
namespace {

using store::redis::Command;
using store::redis::RedisConnection;
using store::redis::Reply;
using store::redis::text_of;

// KEYS: the stream, the last id given, this append's nonce. ARGV: the first id if none was given
// yet (now, in microseconds), the stream's cap, the newest id the appending node has mirrored,
// then one record per event. Atomic in Redis, so two nodes never take the same ids, and an entry
// never goes in below one already there. The next id is above the last given, the stream's top
// and what the node mirrored: so a lost <p>events:last, or a Redis rolled back to an older copy
// (a failover to a replica that lagged), never gives an id again that a node already shows. An
// append sent again (its answer was lost) is recognised by its nonce and not added twice.
constexpr const char* kAppend = R"lua(
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', '30000') then return 0 end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if last == 0 then last = tonumber(ARGV[1]) - 1 end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest == 1 then last = math.max(last, tonumber(string.match(newest[1][1], '^(%d+)'))) end
last = math.max(last, tonumber(ARGV[3]))
local n = #ARGV - 3
for i = 1, n do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%d-0', last + i), 'e',
             ARGV[i + 3])
end
redis.call('SET', KEYS[2], string.format('%d', last + n))
return n
)lua";

constexpr int kMaxBlockMs = 1'000;

// One stream entry ([id, [field, value]]) as an event record viewing into it; false when it is
// not one (another writer's entry, or a later version's).
bool decode_entry(const redisReply* entry, std::string& key, EventRecord& record) {
  if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) return false;
  const std::string_view id = text_of(entry->element[0]);
  const redisReply* fields = entry->element[1];
  if (!fields || fields->type != REDIS_REPLY_ARRAY || fields->elements != 2) return false;
  std::uint64_t number = 0;
  const auto parsed = std::from_chars(id.data(), id.data() + id.size(), number);
  if (parsed.ec != std::errc() || number == 0) return false;
  store::records::event_key_into(key, number);
  return store::records::decode(key, text_of(fields->element[1]), record);
}

void log_limited(const char* event, const common::RedisAddress& address, const std::string& error) {
  static log::Limiter limiter(10, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, event,
             {{"redis", address.to_string()}, {"error", error}, {"suppressed", *suppressed}});
}

}  // namespace

RedisEventStream::RedisEventStream(common::RedisAddress address, std::string prefix, int timeout_ms,
                                   std::size_t max_events, store::redis::MasterLookup lookup)
    : pool_(std::move(address), timeout_ms, std::move(lookup)),
      prefix_(std::move(prefix)),
      timeout_ms_(timeout_ms),
      max_events_(std::max<std::size_t>(max_events, 1)) {}

RedisEventStream::~RedisEventStream() {
  stop();
}

std::string RedisEventStream::load(events::EventLog& log) {
  log_ = &log;
  log.share(*this);
  std::string error;
  auto connection = pool_.take(error);
  if (!connection) return "cannot load the event log from Redis: " + error;
  // Appends then send the script's digest, not its text (EVAL again if Redis forgot it).
  if (Reply sha = connection->command({"SCRIPT", "LOAD", kAppend}, error);
      sha && sha->type == REDIS_REPLY_STRING)
    script_sha_ = text_of(sha.get());
  for (;;) {
    const long read = read_into_log(*connection.operator->(), 0);
    if (read < 0) return "cannot load the event log from Redis (see the log)";
    if (static_cast<std::size_t>(read) < kPage) break;
  }
  KITE_LOG(info, "events.loaded",
           {{"last_id", log.last_id()}, {"held", log.stats().held}, {"shared", true}});
  return {};
}

void RedisEventStream::start() {
  follower_ = std::thread([this] { follow(); });
}

void RedisEventStream::stop() {
  stopping_ = true;
  if (follower_.joinable()) follower_.join();
  std::lock_guard lock(held_mutex_);
  std::size_t events = 0;
  for (const auto& batch : held_) events += batch.records.size();
  if (events != 0)  // Redis never came back while this node ran: say what is lost
    KITE_LOG(warn, "events.dropped", {{"events", events}, {"reason", "stopped with Redis away"}});
  held_.clear();
  held_bytes_ = 0;
}

long RedisEventStream::read_into_log(RedisConnection& connection, int block_ms) {
  Command command{"XREAD", "COUNT", std::to_string(kPage)};
  if (block_ms > 0) command.insert(command.end(), {"BLOCK", std::to_string(block_ms)});
  command.insert(command.end(), {"STREAMS", prefix_ + "events", after_});
  std::string error;
  Reply reply = connection.command(command, error);
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    log_limited("events.follow_failed", pool_.address(),
                reply ? std::string(store::redis::error_of(reply.get())) : error);
    return -1;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return 0;  // nothing new
  const redisReply* stream = reply->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2 ||
      stream->element[1]->type != REDIS_REPLY_ARRAY)
    return 0;
  const redisReply* entries = stream->element[1];
  std::vector<std::string> keys(entries->elements);  // the records view into these
  std::vector<EventRecord> records;
  records.reserve(entries->elements);
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* entry = entries->element[i];
    const bool has_id = entry->type == REDIS_REPLY_ARRAY && entry->elements > 0 &&
                        entry->element[0]->type == REDIS_REPLY_STRING;
    EventRecord record;
    if (decode_entry(entry, keys[i], record))
      records.push_back(record);
    else
      log_limited("events.entry_undecodable", pool_.address(),
                  has_id ? std::string(text_of(entry->element[0])) : "an entry without an id");
    if (has_id) after_ = text_of(entry->element[0]);
  }
  log_->mirror(records, wall_clock_ms());
  return static_cast<long>(entries->elements);
}

bool RedisEventStream::send(const Batch& batch, std::string& error) {
  // By its digest (loaded at start): the script's text is not sent with every append.
  Command command{script_sha_.empty() ? "EVAL" : "EVALSHA",
                  script_sha_.empty() ? kAppend : script_sha_,
                  "3",
                  prefix_ + "events",
                  prefix_ + "events:last",
                  prefix_ + "events:append:" + batch.nonce,
                  std::to_string(wall_clock_us()),
                  std::to_string(max_events_),
                  std::to_string(log_ ? log_->last_id() : 0)};
  command.insert(command.end(), batch.records.begin(), batch.records.end());
  auto lease = pool_.take(error);
  if (!lease) return false;
  Reply reply = lease->command(command, error);
  // A Redis restarted (or whose scripts were flushed) does not know it, and ran nothing.
  if (reply && store::redis::error_of(reply.get()).starts_with("NOSCRIPT")) {
    command[0] = "EVAL";
    command[1] = kAppend;
    reply = lease->command(command, error);
  }
  if (!reply) return false;
  if (reply->type == REDIS_REPLY_ERROR) {
    error = store::redis::error_of(reply.get());
    return false;
  }
  return true;
}

void RedisEventStream::append(std::span<const EventRecord> records) {
  Batch batch{std::to_string(store::new_epoch()), {}};
  batch.records.reserve(records.size());
  std::size_t bytes = 0;
  std::string whole;
  for (const EventRecord& record : records) {
    // As whole objects: a node of an earlier version reads only that form (events::append_whole).
    whole.clear();
    events::append_whole(whole,
                         {record.id, record.time_ms, static_cast<events::EventType>(record.type),
                          record.device, record.data});
    EventRecord shared = record;
    shared.data = whole;
    batch.records.push_back(store::records::encode(shared));
    bytes += batch.records.back().size();
  }
  {
    std::lock_guard lock(held_mutex_);
    if (!held_.empty()) {  // Redis refused earlier ones: these wait behind them
      if (held_bytes_ + bytes > kMaxHeldBytes) {
        dropped_ += records.size();
        log_limited("events.dropped", pool_.address(), "Redis has been away too long");
        return;
      }
      held_bytes_ += bytes;
      held_.push_back(std::move(batch));
      return;
    }
  }
  std::string error;
  if (send(batch, error)) return;
  log_limited("events.append_failed", pool_.address(), error);
  std::lock_guard lock(held_mutex_);
  held_bytes_ += bytes;
  held_.push_back(std::move(batch));
}

bool RedisEventStream::send_held() {
  for (;;) {
    Batch front;
    {
      std::lock_guard lock(held_mutex_);
      if (held_.empty()) return true;
      front = held_.front();  // only this thread pops: it stays the front while sent
    }
    std::string error;
    if (!send(front, error)) {  // without the lock: appends meanwhile queue behind, never wait
      log_limited("events.append_failed", pool_.address(), error);
      return false;
    }
    std::lock_guard lock(held_mutex_);
    for (const auto& record : held_.front().records) held_bytes_ -= record.size();
    held_.pop_front();
  }
}

void RedisEventStream::trim(std::uint64_t through_id) {
  std::string error;
  auto lease = pool_.take(error);
  Reply reply;
  if (lease)
    reply = lease->command(
        {"XTRIM", prefix_ + "events", "MINID", std::to_string(through_id + 1) + "-0"}, error);
  if (!reply || reply->type == REDIS_REPLY_ERROR)
    log_limited("events.trim_failed", pool_.address(), error);
}

// One connection at a time, blocking up to a second per read so that stop() is seen; after a
// failure, a back-off from 100 ms up to 5 s.
void RedisEventStream::follow() {
  const int block_ms = std::clamp(timeout_ms_ / 2, 1, kMaxBlockMs);
  int backoff_ms = 100;
  while (!stopping_) {
    std::string error;
    if (auto connection = pool_.take(error)) {  // from the pool: it follows a failover
      backoff_ms = 100;
      while (!stopping_ && !connection->broken()) {
        send_held();
        if (read_into_log(*connection.operator->(), block_ms) < 0) break;
      }
    } else {
      log_limited("events.follow_failed", pool_.address(), error);
    }
    for (int waited = 0; waited < backoff_ms && !stopping_; waited += 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff_ms = std::min(backoff_ms * 2, 5000);
  }
}

}  // namespace kite::server::cluster
