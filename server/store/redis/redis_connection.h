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
//  - an error reply (REDIS_REPLY_ERROR) is a reply, not a failure: the caller judges it; but a
//    READONLY error (the server is a replica now: a failover happened) breaks the connection too,
//    so that the pool asks where the master went (redis_sentinel.h);
//  - with sentinels, the pool does not know its address for good: a connection that cannot be
//    made or that broke makes it ask the sentinels again at the next take(), at most every
//    100 ms doubling to 2 s while they answer the same, so a failover is followed without a
//    restart.
#pragma once

#include <hiredis/hiredis.h>

#include "common/redis_address.h"

#include <chrono>
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
  // The connection holds WATCHes nobody needs (a transaction that only read): the next run()
  // sends UNWATCH ahead of its commands, in the same round trip, and hides its reply.
  void defer_unwatch() { unwatch_pending_ = true; }
  // Breaks it on purpose: its server may no longer be the master (a WAIT no replica answered),
  // so the pool drops it and asks the sentinels again.
  void discard() { broken_ = true; }
  // Where it is connected: the pool drops a connection to a master it no longer uses.
  const std::string& peer() const { return peer_; }

  // For a subscribed connection: waits for the next message without a time limit (a quiet
  // channel is normal), null with `error` set when the connection fails or is shut down.
  Reply read_reply(std::string& error);
  void clear_timeout();
  int fd() const { return context_->fd; }

 private:
  RedisConnection(redisContext* context, std::string peer)
      : context_(context), peer_(std::move(peer)) {}
  bool fail(std::string& error);

  redisContext* context_;
  std::string peer_;
  bool broken_ = false;
  bool unwatch_pending_ = false;
};

// How a pool finds its master through Redis Sentinel; no sentinels: the address is fixed.
struct MasterLookup {
  std::vector<RedisAddress> sentinels;
  std::string name;  // the master's name in the sentinels' configuration
};

class RedisPool {
 public:
  RedisPool(RedisAddress address, int timeout_ms, MasterLookup lookup = {});

  // Gives a connection back to its pool when it goes, unless it broke.
  class Lease {
   public:
    Lease() = default;
    Lease(RedisPool& pool, std::unique_ptr<RedisConnection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (connection_) pool_->give_back(std::move(connection_));
    }
    RedisConnection* operator->() const { return connection_.get(); }
    explicit operator bool() const { return connection_ != nullptr; }
    // Closes the connection instead of giving it back (one left subscribed, say); if it broke,
    // the pool learns its master may be gone, as when a broken connection is given back.
    void discard() {
      if (connection_ && connection_->broken()) pool_->lost_master();
      connection_.reset();
    }

   private:
    RedisPool* pool_ = nullptr;
    std::unique_ptr<RedisConnection> connection_;
  };

  // An idle connection, or a new one; an empty lease with `error` set when none can be made.
  Lease take(std::string& error);
  // Where the pool connects now (with sentinels: the master they named last).
  RedisAddress address() const;

 private:
  using Clock = std::chrono::steady_clock;
  void give_back(std::unique_ptr<RedisConnection> connection);
  // The address to connect to; asks the sentinels first when the master was lost and the
  // back-off allows. false, with `error` set, when no master is known.
  bool target(RedisAddress& address, std::string& error);
  void ask_sentinels();
  void lost_master();

  const int timeout_ms_;
  const MasterLookup lookup_;
  mutable std::mutex mutex_;
  RedisAddress address_;                                // guarded by mutex_
  bool known_ = true;                                   // guarded: address_ names a master
  bool stale_ = false;                                  // guarded: ask the sentinels again
  Clock::time_point next_ask_{};                        // guarded: not before then
  std::chrono::milliseconds back_off_{100};             // guarded
  std::string lookup_error_;                            // guarded: why the last ask failed
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded
  std::mutex asking_;                                   // one thread asks the sentinels at once
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
