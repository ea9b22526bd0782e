// The event log of a cluster, in one Redis stream that every node writes and mirrors: so every
// node shows the same events, in one order, under the same ids, and a reader (a Last-Event-ID, a
// consumer group member, a webhook) may move from node to node.
//
//   <p>events        stream   one entry per event: id "<event id>-0", field "e" = the event
//                             record (store/record_codec.h, as the store's event log keeps it)
//   <p>events:last   string   the newest event id given
//   <p>events:append:<nonce>   string   an append done (kept 30 s): sent again, it adds nothing
//
// Ids: an append is one script run in Redis (atomic there), which takes the next ids from
// <p>events:last and adds the entries under them, so ids only grow however many nodes append at
// once. The first id is the time of the first append in microseconds (as a single kited's ids
// are), then one per event: small enough for a JSON number.
//
// Each node mirrors the stream into its EventLog: at start it loads what the stream holds
// (load()), then a thread of its own follows it with XREAD BLOCK. Readers on the node are served
// from the mirror, as on a single kited.
//
// Failures: an append that fails (Redis away, or its answer lost) is kept, up to kMaxHeldBytes,
// and tried again by the follower (its nonce keeps it from going in twice), so events made while
// Redis is away appear once it is back, later and under later ids than their times say; beyond that
// bound they are dropped, counted and logged. Retention: each node trims the stream (XTRIM MINID)
// through what its own retention dropped, and every append caps the stream near
// events.retention_events (MAXLEN ~).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "events/event_log.h"
#include "store/redis/redis_connection.h"

namespace kite::server::cluster {

class RedisEventStream final : public events::SharedEvents {
 public:
  static constexpr std::size_t kMaxHeldBytes = 8 * 1024 * 1024;  // appends waiting for Redis
  static constexpr std::size_t kPage = 1000;                     // entries per read

  // `lookup`: the sentinels that say where the master is, to follow a failover (or none).
  RedisEventStream(common::RedisAddress address, std::string prefix, int timeout_ms,
                   std::size_t max_events, store::redis::MasterLookup lookup = {});
  ~RedisEventStream() override;
  RedisEventStream(const RedisEventStream&) = delete;
  RedisEventStream& operator=(const RedisEventStream&) = delete;

  // Makes `log` a mirror of the stream and loads what the stream holds now; "" or why not.
  std::string load(events::EventLog& log);
  // Follows the stream into the log on a thread of its own (after load()) until stop().
  void start();
  void stop();

  void append(std::span<const EventRecord> records) override;
  void trim(std::uint64_t through_id) override;

  std::uint64_t dropped() const { return dropped_; }  // events lost to a long Redis outage

 private:
  // Reads the entries after `after_` into the log, waiting up to `block_ms` for one (0: no
  // wait): how many were read, or -1 on a failure (logged).
  long read_into_log(store::redis::RedisConnection& connection, int block_ms);
  // Sends what earlier appends could not: false while Redis still refuses.
  bool send_held();
  struct Batch {  // one append: a nonce (so that sending it again adds nothing) and its records
    std::string nonce;
    std::vector<std::string> records;
  };
  bool send(const Batch& batch, std::string& error);
  void follow();

  store::redis::RedisPool pool_;
  const std::string prefix_;
  const int timeout_ms_;
  const std::size_t max_events_;
  events::EventLog* log_ = nullptr;
  std::string script_sha_;     // the append script's digest in Redis (set by load(); "" = EVAL)
  std::string after_ = "0-0";  // the newest stream id mirrored (follower thread only)
  std::mutex held_mutex_;
  std::deque<Batch> held_;      // appends that failed; guarded by held_mutex_
  std::size_t held_bytes_ = 0;  // guarded by held_mutex_
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> stopping_{false};
  std::thread follower_;
};

}  // namespace kite::server::cluster
