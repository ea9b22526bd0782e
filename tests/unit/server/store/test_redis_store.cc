// What only the Redis store has to show: several stores (kited nodes) on one Redis see one set of
// queues, a Redis that goes away fails calls cleanly and the store heals when it is back, and a
// device's keys share a hash tag. The queue rules themselves run against Redis in every
// TEST_CASE_TEMPLATE of this suite (STORE_KINDS).
#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "store/redis/redis_keys.h"
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;
using kite::server::common::RedisAddress;

TEST_CASE("two stores on one Redis share the queues: what one queues the other reads and acks") {
  RedisStore redis;
  auto node_a = redis.open();
  auto node_b = redis.open();
  CHECK(node_a->epoch() == node_b->epoch());
  for (int i = 0; i < 5; ++i) node_a->enqueue("dev", text("m" + std::to_string(i)), kNow);
  CHECK(queued_seqs(*node_b, "dev") == Seqs{1, 2, 3, 4, 5});
  node_b->ack("dev", 3);
  // node_a queued them, so a cache would still hold five: the shared store reads again.
  CHECK(node_a->info("dev").queued_messages == 2);
  CHECK(node_a->info("dev").acked_through == 3);
  CHECK(node_b->enqueue("dev", text("m5"), kNow).seq == 6);
  CHECK(node_a->enqueue("dev", text("m6"), kNow).seq == 7);
  CHECK(queued_seqs(*node_a, "dev") == Seqs{4, 5, 6, 7});
}

// The resume key is the cluster's: every node on one Redis gets the same one, so a device resumes
// its session on whichever node it reconnects to; another Redis (another cluster) has its own.
TEST_CASE("every store on one Redis gets the same resume key, made once; another Redis another") {
  RedisStore redis, other;
  RedisStoreOptions options;
  options.address = redis.server.address();
  std::array<std::uint8_t, 32> first{}, second{}, elsewhere{};
  std::string error;
  REQUIRE_MESSAGE(load_or_create_resume_key(options, first, error), error);
  REQUIRE_MESSAGE(load_or_create_resume_key(options, second, error), error);
  CHECK(first == second);
  CHECK(first != std::array<std::uint8_t, 32>{});
  options.address = other.server.address();
  REQUIRE_MESSAGE(load_or_create_resume_key(options, elsewhere, error), error);
  CHECK(elsewhere != first);
}

// A node that lost two races claims the device for up to 100 ms; if it stalls there, the other
// nodes' writes to that device wait the claim out instead of failing (and with them the whole
// batch they are part of). The claim is planted by hand here, as a stalled node would leave it.
TEST_CASE("a write to a device another node has claimed waits the claim out, it does not fail") {
  RedisStore redis;
  auto node = redis.open();
  REQUIRE(node->enqueue("dev", text("m0"), kNow).seq == 1);
  std::string error;
  auto connection = store::redis::RedisConnection::connect(redis.server.address(), 2000, error);
  REQUIRE_MESSAGE(connection, error);
  const store::redis::RedisKeys keys("kite:");
  REQUIRE(connection->command({"SET", keys.claim("dev"), "stalled-node", "PX", "100"}, error));
  const EnqueueResult result = node->enqueue("dev", text("m1"), kNow);
  INFO(result.error);
  CHECK(result.status == EnqueueResult::Status::Queued);
  CHECK(result.seq == 2);
}

// A batch is one transaction over its devices; one device another node keeps claimed (here
// longer than the whole retry budget, as a node stalled for seconds would) must not refuse the
// others: a batch that keeps losing goes a device at a time.
TEST_CASE("a batch with one device held by another node queues the others") {
  RedisStore redis;
  auto node = redis.open();
  std::string error;
  auto connection = store::redis::RedisConnection::connect(redis.server.address(), 2000, error);
  REQUIRE_MESSAGE(connection, error);
  const store::redis::RedisKeys keys("kite:");
  REQUIRE(node->enqueue("held", text("m0"), kNow).seq == 1);
  REQUIRE(connection->command({"SET", keys.claim("held"), "stalled-node", "PX", "5000"}, error));
  std::vector<std::pair<std::string_view, NewMessage>> batch;
  for (std::string_view device : {"free-1", "held", "free-2", "free-2"})
    batch.emplace_back(device, text("b"));
  std::vector<EnqueueResult> results;
  node->enqueue_batch(batch, kNow, results);
  REQUIRE(results.size() == 4);
  CHECK(results[0].status == Status::Queued);
  CHECK(results[1].status == Status::Error);
  CHECK(results[2].status == Status::Queued);
  CHECK(results[3].status == Status::Queued);
  CHECK(results[3].seq == results[2].seq + 1);  // one device's messages keep their order
  REQUIRE(connection->command({"DEL", keys.claim("held")}, error));
  CHECK(node->info("held").queued_messages == 1);
}

// Two nodes writing one device at once: each commit WATCHes the device's meta, the loser of a race
// applies nothing and runs again, so seqs stay unique and gap-free and every message is kept.
TEST_CASE("two stores sending to one device at once: unique, gap-free seqs, nothing lost") {
  RedisStore redis;
  auto node_a = redis.open();
  auto node_b = redis.open();
  constexpr int kPerSender = 150;
  std::vector<std::vector<EnqueueResult>> answers(4);
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      MessageStore& node = t % 2 == 0 ? *node_a : *node_b;
      for (int i = 0; i < kPerSender; ++i)
        answers[t].push_back(
            node.enqueue("shared", text(std::to_string(t) + "-" + std::to_string(i)), kNow));
    });
  }
  for (auto& sender : senders) sender.join();
  std::set<std::uint64_t> seqs;
  for (const auto& of_sender : answers)
    for (const auto& answer : of_sender) {
      INFO(answer.error);
      REQUIRE(answer.status == Status::Queued);
      seqs.insert(answer.seq);
    }
  CHECK(seqs.size() == 4 * kPerSender);
  CHECK(*seqs.rbegin() == 4 * kPerSender);
  const auto queue = read_all(*node_b, "shared");
  CHECK(queue.size() == 4 * kPerSender);
  std::set<std::string> payloads;
  for (const auto& message : queue) payloads.insert(message.payload);
  CHECK(payloads.size() == 4 * kPerSender);
  CHECK(node_a->info("shared").queued_messages == 4 * kPerSender);
  CHECK(node_a->healthy());
  CHECK(node_b->healthy());
}

TEST_CASE("a Redis that goes away: calls answer Error, the store is unhealthy, then it heals") {
  RedisStore redis;
  auto store = redis.open();
  REQUIRE(store->enqueue("dev", text("before"), kNow).status == Status::Queued);
  redis.server.stop();
  const auto refused = store->enqueue("dev", text("during"), kNow);
  CHECK(refused.status == Status::Error);
  CHECK(refused.error.find("Redis") != std::string::npos);
  CHECK_FALSE(store->healthy());
  CHECK(store->stats().errors >= 1);
  // The pool's connection broke with the first call; the next ones connect afresh, and fail.
  for (int i = 0; i < 3; ++i)
    CHECK(store->enqueue("dev", text("during"), kNow).status == Status::Error);
  redis.server.start();  // a fresh, empty Redis (the fixture keeps no data across a kill)
  const auto accepted = store->enqueue("dev", text("after"), kNow);
  CHECK(accepted.status == Status::Queued);
  CHECK(store->healthy());
  CHECK(read_all(*store, "dev").back().payload == "after");
}

TEST_CASE("every key of a device carries the device id as a hash tag") {
  RedisStore redis;
  auto store = redis.open();
  store->enqueue("dev-7", keyed("x", "state", "req-1"), kNow);
  std::string error;
  auto connection = store::redis::RedisConnection::connect(redis.server.address(), 1000, error);
  REQUIRE_MESSAGE(connection, error);
  auto keys = connection->command({"KEYS", "kite:d:*"}, error);
  REQUIRE(keys);
  REQUIRE(keys->type == REDIS_REPLY_ARRAY);
  CHECK(keys->elements == 4);  // meta, queue, conflation, idempotency
  for (std::size_t i = 0; i < keys->elements; ++i) {
    const std::string key(store::redis::text_of(keys->element[i]));
    INFO(key);
    CHECK(key.starts_with("kite:d:{dev-7}:"));
  }
}

TEST_CASE("Redis addresses: host:port, [v6]:port and unix:/path; anything else says why") {
  RedisAddress address;
  CHECK(RedisAddress::parse("127.0.0.1:6380", address).empty());
  CHECK((address.host == "127.0.0.1" && address.port == 6380 && !address.unix_socket));
  CHECK(RedisAddress::parse("[::1]:6379", address).empty());
  CHECK((address.host == "::1" && address.to_string() == "[::1]:6379"));
  CHECK(RedisAddress::parse("unix:/run/redis.sock", address).empty());
  CHECK((address.unix_socket && address.host == "/run/redis.sock"));
  CHECK_FALSE(RedisAddress::parse("redis-host", address).empty());
  CHECK_FALSE(RedisAddress::parse("host:0", address).empty());
  CHECK_FALSE(RedisAddress::parse("host:65536", address).empty());
  CHECK_FALSE(RedisAddress::parse("host:12x", address).empty());
  CHECK_FALSE(RedisAddress::parse("unix:", address).empty());
  CHECK_FALSE(RedisAddress::parse(":6379", address).empty());
}
