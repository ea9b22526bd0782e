#include "store/redis/redis_connection.h"

#include <fmt/format.h>
#include <sys/time.h>

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
  return std::unique_ptr<RedisConnection>(new RedisConnection(context));
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
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || !reply) return fail(error);
    replies.emplace_back(static_cast<redisReply*>(reply));
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

RedisPool::Lease RedisPool::take(std::string& error) {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  return Lease(*this, RedisConnection::connect(address_, timeout_ms_, error));
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> connection) {
  if (connection->broken()) return;
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connection));
}

}  // namespace kite::server::store::redis
