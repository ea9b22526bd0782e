// The Transaction of the Redis store: reads go to Redis at once, writes are kept and sent together
// at commit() as one MULTI ... EXEC, in one round trip.
//
// Rules it keeps (queue_backend.h):
//  - reads see the transaction's own earlier writes: every write is also kept in an overlay (the
//    newest value per key, or its deletion) that reads consult first, and scan() merges the
//    overlay's messages into the queue it reads from Redis, in seq order;
//  - a failed read is sticky: the first error (Redis unreachable, an error reply, an undecodable
//    record) is kept and commit() refuses, so nothing decided on a bad read is written;
//  - one connection for the transaction's life, taken from the pool at begin();
//  - other nodes write the same keys: every device meta read is WATCHed first, so EXEC applies
//    nothing if another node changed one of them since (conflicted(): the engine starts again).
//    Every write to a device's queue goes with a write of its meta, so the meta guards it all;
//  - so that a node cannot lose such races for ever, a claiming transaction first sets the
//    device's claim key to its own token (100 ms at most; deleted by its EXEC). Every
//    transaction WATCHes and reads the claim with the meta, and meets another's claim as a
//    conflict at once: other nodes keep off the device until the claimer is done;
//  - sharded (redis_shards.h): reads and writes go to the shard of their device, global writes
//    (deadlines, events) to the control shard, each shard on its own connection with its own
//    WATCHes; commit() sends one MULTI ... EXEC per shard written: first the shard of the first
//    device read, the global writes that other shards' devices own last, so a deadline never
//    names a message that was not stored. Devices on any shard but the first one read are claimed,
//    so that a race there is met at the reads, before anything is written; what is lost when a
//    later shard's EXEC fails anyway is in docs/cluster.md ("Several shards");
//  - with ReplicaWait, each EXEC is followed, in the same round trip, by WAIT: fewer replicas
//    than asked confirming makes commit() fail, though the master applied the write.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/queue_backend.h"
#include "store/redis/redis_connection.h"
#include "store/redis/redis_keys.h"
#include "store/redis/redis_shards.h"

namespace kite::server::store::redis {

// WAIT after each EXEC: for `replicas` replicas (0: no WAIT), at most `timeout_ms`.
struct ReplicaWait {
  int replicas = 0;
  int timeout_ms = 1000;
};

class RedisTransaction final : public Transaction {
 public:
  RedisTransaction(RedisShards& shards, const RedisKeys& keys, bool claiming, ReplicaWait wait);
  ~RedisTransaction() override;
  RedisTransaction(const RedisTransaction&) = delete;
  RedisTransaction& operator=(const RedisTransaction&) = delete;

  DeviceMeta meta(std::string_view device) override;
  std::optional<ConflationEntry> conflation(std::string_view device, std::string_view key) override;
  std::optional<IdempotencyEntry> idempotency(std::string_view device,
                                              std::string_view key) override;
  void scan(std::string_view device, std::uint64_t after_seq,
            const std::function<bool(const MessageView&)>& visit) override;

  void put_meta(std::string_view device, const DeviceMeta& meta) override;
  void put_message(std::string_view device, const MessageView& message) override;
  void delete_message(std::string_view device, std::uint64_t seq) override;
  void put_conflation(std::string_view device, std::string_view key,
                      const ConflationEntry& entry) override;
  void delete_conflation(std::string_view device, std::string_view key) override;
  void put_deadline(const Deadline& deadline) override;
  void delete_deadline(const Deadline& deadline) override;
  void put_event(const EventRecord& event) override;
  void put_idempotency(std::string_view device, std::string_view key, const IdempotencyEntry& entry,
                       std::uint64_t now_ms) override;

  bool commit(bool sync, std::string& error) override;
  bool conflicted() const override { return conflicted_; }

 private:
  using Pending = std::optional<std::string>;  // a value written, or nullopt: deleted
  struct Write {
    Command command;
    std::size_t owner;   // the shard of the device it is for: not applied there, not sent here
    bool taken = false;  // put in an EXEC already
  };
  // One shard's part: its connection (taken at its first use) and what goes through it.
  struct Link {
    RedisPool::Lease lease;
    std::vector<Write> writes;        // in the order they were made
    std::vector<std::string> claims;  // claim keys this transaction holds there
    bool watching = false;            // WATCHes are pending on the connection
  };
  enum class Exec { Applied, Unreplicated, Conflicted, Failed };

  // The shard's connection; null, with the sticky error set, when it cannot be had.
  RedisConnection* connection(std::size_t shard);
  void write(std::string_view device, Command command);
  void write_global(std::size_t owner, Command command);
  // MULTI, the shard's writes not taken yet whose owner did not fail (`own_only`: owned by this
  // shard), the claims' deletion, EXEC; empty when nothing is left to write there.
  std::vector<Command> exec_commands(std::size_t shard, const std::vector<bool>& lost,
                                     bool own_only);
  Exec exec(std::size_t shard, std::vector<Command> commands, std::string& error);
  // The record behind a string key or a hash field: the overlay's, else Redis's.
  std::optional<std::string> load(std::size_t shard, const std::string& key,
                                  const std::string* field);
  // The device's meta record, its meta and claim keys WATCHed (and the claim taken when claiming).
  std::optional<std::string> guarded_meta(std::string_view device);
  template <typename Record>
  std::optional<Record> decoded(const std::optional<std::string>& value, std::string_view what);
  // One page of a queue from Redis: entries with seq >= from, at most `count`.
  bool read_page(std::size_t shard, const std::string& queue, std::uint64_t from, std::size_t count,
                 std::vector<std::pair<std::uint64_t, std::string>>& page);
  Reply ask(std::size_t shard, const Command& command);
  void fail(std::string why);

  std::string error_;  // the first failure
  RedisShards& shards_;
  const RedisKeys& keys_;
  const ReplicaWait wait_;
  std::vector<Link> links_;                          // one per shard
  std::unordered_map<std::string, Pending> values_;  // string keys and "hash\0field"
  std::unordered_map<std::string, std::map<std::uint64_t, Pending>> messages_;  // by queue key
  const bool claiming_;                 // claim every device read (claim_next)
  const std::string token_;             // the claim value, when any claim may be taken
  std::optional<std::size_t> primary_;  // the shard of the first device read: commits first
  bool conflicted_ = false;             // EXEC applied nothing: a watched key changed
};

}  // namespace kite::server::store::redis
