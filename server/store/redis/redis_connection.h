// One blocking connection to a Redis server (hiredis), and a pool of them for a store that many
// threads use at once.
//
//   RedisPool pool(address, 2000);
//   auto lease = pool.take(error);               // null with `error` set when Redis is unreachable
//   Replies replies;
//   if (!lease->run({{"GET", key}, {"INCR", counter}}, replies, error)) ...;  // one round trip
//
// Rules it keeps:
//  - commands are pipelined: run() writes them all, then reads one reply each, so a transaction
//    (MULTI ... EXEC) costs one round trip however many writes it holds;
//  - an I/O error or a timeout breaks the connection for good: the pool drops it instead of
//    taking it back, and the next take() connects afresh, so a Redis restart costs the calls
//    under way, never the store;
//  - an error reply (REDIS_REPLY_ERROR) is a reply, not a failure: the caller judges it.
#pragma once

#include <hiredis/hiredis.h>

#include "common/redis_address.h"

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server::store::redis {

using common::RedisAddress;

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
using Replies = std::vector<Reply>;
using Command = std::vector<std::string>;  // the arguments, binary-safe

class RedisConnection {
 public:
  // Connects within `timeout_ms`, which then bounds each command too; null with `error` set.
  static std::unique_ptr<RedisConnection> connect(const RedisAddress& address, int timeout_ms,
                                                  std::string& error);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends every command, then reads a reply for each into `replies` (cleared first). false, with
  // `error` set, on an I/O error or timeout: the connection is broken from then on.
  bool run(std::span<const Command> commands, Replies& replies, std::string& error);
  // One command; null with `error` set on failure (an error reply is returned, not null).
  Reply command(const Command& command, std::string& error);
  bool broken() const { return broken_; }

  // For a subscribed connection: waits for the next message without a time limit (a quiet
  // channel is normal), null with `error` set when the connection fails or is shut down.
  Reply read_reply(std::string& error);
  void clear_timeout();
  int fd() const { return context_->fd; }

 private:
  explicit RedisConnection(redisContext* context) : context_(context) {}
  bool fail(std::string& error);

  redisContext* context_;
  bool broken_ = false;
};

class RedisPool {
 public:
  RedisPool(RedisAddress address, int timeout_ms)
      : address_(std::move(address)), timeout_ms_(timeout_ms) {}

  // Gives a connection back to its pool when it goes, unless it broke.
  class Lease {
   public:
    Lease(RedisPool& pool, std::unique_ptr<RedisConnection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (connection_) pool_->give_back(std::move(connection_));
    }
    RedisConnection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> connection_;
  };

  // An idle connection, or a new one; an empty lease with `error` set when none can be made.
  Lease take(std::string& error);
  const RedisAddress& address() const { return address_; }

 private:
  void give_back(std::unique_ptr<RedisConnection> connection);

  const RedisAddress address_;
  const int timeout_ms_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mutex_
};

// The reply's bytes (a string or status reply), else empty.
inline std::string_view text_of(const redisReply* reply) {
  if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) return {};
  return {reply->str, reply->len};
}

// "" when `reply` is not an error reply, else its message.
inline std::string_view error_of(const redisReply* reply) {
  if (!reply || reply->type != REDIS_REPLY_ERROR) return {};
  return {reply->str, reply->len};
}

}  // namespace kite::server::store::redis
