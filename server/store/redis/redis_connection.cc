#include "store/redis/redis_connection.h"

#include <fmt/format.h>
#include <sys/time.h>

#include <utility>

#include "common/log.h"
#include "store/redis/redis_sentinel.h"

namespace kite::server::store::redis {
namespace {

timeval to_timeval(int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  return tv;
}

}  // namespace

std::unique_ptr<RedisConnection> RedisConnection::connect(const RedisAddress& address,
                                                          int timeout_ms, std::string& error) {
  const timeval timeout = to_timeval(timeout_ms);
  redisContext* context =
      address.unix_socket ? redisConnectUnixWithTimeout(address.host.c_str(), timeout)
                          : redisConnectWithTimeout(address.host.c_str(), address.port, timeout);
  if (!context) {
    error = "cannot allocate a Redis connection";
    return nullptr;
  }
  if (context->err) {
    error = fmt::format("cannot connect to Redis at {}: {}", address.to_string(), context->errstr);
    redisFree(context);
    return nullptr;
  }
  redisSetTimeout(context, timeout);
  return std::unique_ptr<RedisConnection>(new RedisConnection(context, address.to_string()));
}

RedisConnection::~RedisConnection() {
  redisFree(context_);
}

bool RedisConnection::fail(std::string& error) {
  broken_ = true;
  error = fmt::format("Redis connection failed: {}", context_->err ? context_->errstr : "no reply");
  return false;
}

bool RedisConnection::run(std::span<const Command> commands, Replies& replies, std::string& error) {
  replies.clear();
  if (broken_) return fail(error);
  const bool unwatch = std::exchange(unwatch_pending_, false);
  if (unwatch && redisAppendCommand(context_, "UNWATCH") != REDIS_OK) return fail(error);
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& argument : command) {
      argv.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK)
      return fail(error);
  }
  if (unwatch) {  // its "OK" is nobody's reply
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || !reply) return fail(error);
    freeReplyObject(reply);
  }
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || !reply) return fail(error);
    replies.emplace_back(static_cast<redisReply*>(reply));
    // A master demoted by a failover answers writes so: this connection leads nowhere useful.
    if (error_of(replies.back().get()).starts_with("READONLY")) broken_ = true;
  }
  return true;
}

Reply RedisConnection::read_reply(std::string& error) {
  void* reply = nullptr;
  if (broken_ || redisGetReply(context_, &reply) != REDIS_OK || !reply) return fail(error), nullptr;
  return Reply(static_cast<redisReply*>(reply));
}

void RedisConnection::clear_timeout() {
  redisSetTimeout(context_, timeval{});
}

Reply RedisConnection::command(const Command& command, std::string& error) {
  Replies replies;
  if (!run(std::span(&command, 1), replies, error)) return nullptr;
  return std::move(replies.front());
}

RedisPool::RedisPool(RedisAddress address, int timeout_ms, MasterLookup lookup)
    : timeout_ms_(timeout_ms), lookup_(std::move(lookup)), address_(std::move(address)) {
  if (!lookup_.sentinels.empty()) known_ = false, stale_ = true;  // asked at the first take()
}

RedisAddress RedisPool::address() const {
  std::lock_guard lock(mutex_);
  return address_;
}

RedisPool::Lease RedisPool::take(std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  RedisAddress address;
  if (!target(address, error)) return Lease();
  auto connection = RedisConnection::connect(address, timeout_ms_, error);
  if (!connection) {
    lost_master();
    return Lease();
  }
  return Lease(*this, std::move(connection));
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> connection) {
  if (connection->broken()) return lost_master();
  std::lock_guard lock(mutex_);
  if (connection->peer() == address_.to_string()) idle_.push_back(std::move(connection));
}

void RedisPool::lost_master() {
  std::lock_guard lock(mutex_);
  if (!lookup_.sentinels.empty()) stale_ = true;
}

bool RedisPool::target(RedisAddress& address, std::string& error) {
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    due = stale_ && Clock::now() >= next_ask_;
  }
  // One thread asks; the others meanwhile try the address known so far.
  if (due && asking_.try_lock()) {
    std::lock_guard asked(asking_, std::adopt_lock);
    ask_sentinels();
  }
  std::lock_guard lock(mutex_);
  if (!known_) {
    error = fmt::format("no master known for \"{}\": {}", lookup_.name, lookup_error_);
    return false;
  }
  address = address_;
  return true;
}

// Outside mutex_: the sentinels may take up to the timeout each.
void RedisPool::ask_sentinels() {
  RedisAddress master;
  std::string error;
  const bool found =
      ask_sentinels_for_master(lookup_.sentinels, lookup_.name, timeout_ms_, master, error);
  std::vector<std::unique_ptr<RedisConnection>> old;  // closed outside the lock
  std::lock_guard lock(mutex_);
  next_ask_ = Clock::now() + back_off_;
  back_off_ = std::min(back_off_ * 2, std::chrono::milliseconds(2000));
  if (!found) {
    lookup_error_ = std::move(error);
    KITE_LOG(warn, "redis.sentinels_failed", {{"master", lookup_.name}, {"error", lookup_error_}});
    return;
  }
  stale_ = false;
  if (known_ && master.to_string() == address_.to_string()) return;
  KITE_LOG(info, "redis.master_changed",
           {{"master", lookup_.name},
            {"old", known_ ? address_.to_string() : std::string("none")},
            {"new", master.to_string()}});
  address_ = std::move(master);
  known_ = true;
  back_off_ = std::chrono::milliseconds(100);
  old.swap(idle_);  // they lead to the old master
}

}  // namespace kite::server::store::redis
