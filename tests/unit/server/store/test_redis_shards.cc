// The Redis store over several shards: the hash that places devices is fixed, each device's keys
// are on the shard it says, the global keys on the first, and one write over devices of two
// shards applies on both. The queue rules themselves run sharded in every TEST_CASE_TEMPLATE of
// this suite (ShardedRedisStore in STORE_KINDS).
#include <set>
#include <thread>

#include "store/redis/redis_shards.h"
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;
using kite::server::store::redis::fnv1a64;

namespace {

// Every key on `server` matching `pattern`.
std::set<std::string> keys_on(const RedisServer& server, const std::string& pattern) {
  std::string error;
  auto connection = store::redis::RedisConnection::connect(server.address(), 1000, error);
  REQUIRE_MESSAGE(connection, error);
  auto reply = connection->command({"KEYS", pattern}, error);
  REQUIRE(reply);
  REQUIRE(reply->type == REDIS_REPLY_ARRAY);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < reply->elements; ++i)
    keys.emplace(store::redis::text_of(reply->element[i]));
  return keys;
}

// "kite:d:{dev}:q" -> "dev"
std::string device_of(const std::string& key) {
  const auto open = key.find('{'), close = key.find('}');
  return key.substr(open + 1, close - open - 1);
}

}  // namespace

// Every node of every build must put a device on the same shard: the hash is pinned to FNV-1a 64's
// published values, not to whatever a library's hash happens to be.
TEST_CASE("the shard hash is FNV-1a 64: fixed values, fixed shards") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
  CHECK(fnv1a64("dev-1") == 0x8596fc76092a2e96ull);
  CHECK(fnv1a64("a") % 2 == 0);
  CHECK(fnv1a64("a") % 3 == 1);
  CHECK(fnv1a64("") % 3 == 2);
}

TEST_CASE(
    "three shards: each device's keys on the shard its hash names, global keys on the first") {
  TempDir dir;
  std::vector<std::unique_ptr<RedisServer>> servers;
  RedisStoreOptions redis;
  redis.addresses.clear();
  for (int i = 0; i < 3; ++i) {
    servers.push_back(std::make_unique<RedisServer>(subdirectory(dir.path, std::to_string(i))));
    redis.addresses.push_back(servers.back()->address());
  }
  std::string error;
  auto store = open_redis_store(redis, {}, error);
  REQUIRE_MESSAGE(store, error);
  std::set<std::string> devices;
  for (int i = 0; i < 30; ++i) {
    const std::string device = "dev-" + std::to_string(i);
    const std::string request = "req-" + device;
    NewMessage message = keyed("x", "state", request);
    message.ttl_ms = 60'000;  // a deadline entry
    REQUIRE(store->enqueue(device, message, kNow).status == Status::Queued);
    devices.insert(device);
  }
  std::set<std::string> found;
  for (std::size_t shard = 0; shard < 3; ++shard) {
    const auto keys = keys_on(*servers[shard], "kite:d:*");
    CHECK_FALSE(keys.empty());  // 30 devices reach every one of 3 shards
    for (const std::string& key : keys) {
      INFO(key);
      CHECK(fnv1a64(device_of(key)) % 3 == shard);
      found.insert(device_of(key));
    }
    const bool control = shard == 0;
    CHECK(keys_on(*servers[shard], "kite:epoch").size() == (control ? 1 : 0));
    CHECK(keys_on(*servers[shard], "kite:deadlines").size() == (control ? 1 : 0));
  }
  CHECK(found == devices);
}

// Two device ids that the hash puts on the first and on the second of two shards.
std::pair<std::string, std::string> devices_on_two_shards() {
  std::string on_first, on_second;
  for (int i = 0; on_first.empty() || on_second.empty(); ++i) {
    const std::string device = "dev-" + std::to_string(i);
    (fnv1a64(device) % 2 == 0 ? on_first : on_second) = device;
  }
  return {on_first, on_second};
}

TEST_CASE("one turn's acks and uplink marks over devices of two shards apply on both") {
  ShardedRedisStore redis;
  auto store = redis.open();
  const auto [on_first, on_second] = devices_on_two_shards();
  for (const std::string& device : {on_first, on_second})
    for (int i = 0; i < 3; ++i) store->enqueue(device, text("m"), kNow);
  const std::vector<std::pair<std::string_view, std::uint64_t>> acks{{on_first, 2}, {on_second, 3}};
  const std::vector<std::pair<std::string_view, std::uint64_t>> uplinks{{on_first, 5},
                                                                        {on_second, 7}};
  REQUIRE(store->write_turn(acks, uplinks, {}));
  CHECK(queued_seqs(*store, on_first) == Seqs{3});
  CHECK(queued_seqs(*store, on_second) == Seqs{});
  CHECK(store->info(on_first).uplink_last_received == 5);
  CHECK(store->info(on_second).uplink_last_received == 7);
  CHECK(keys_on(redis.first, "kite:d:{" + on_second + "}:*").empty());
  CHECK(keys_on(redis.second, "kite:d:{" + on_first + "}:*").empty());
  // A second store (another node) reopening the shards counts every device's messages.
  CHECK(redis.open()->stats().messages == 1);
}

// The device shards commit first, the control shard last, and a shard that applied nothing has its
// deadlines left out: a deadline never names a seq that was not stored.
TEST_CASE("two shards, one down: what is stored, what fails, and no deadline without its message") {
  ShardedRedisStore redis;
  auto store = redis.open();
  const auto [on_first, on_second] = devices_on_two_shards();
  NewMessage expiring = text("x");
  expiring.ttl_ms = 60'000;
  const std::vector<std::pair<std::string_view, NewMessage>> both{{on_first, expiring},
                                                                  {on_second, expiring}};
  std::vector<EnqueueResult> results;

  redis.second.stop();  // a shard down at the reads: nothing is stored anywhere
  store->enqueue_batch(both, kNow, results);
  CHECK(results[0].status == Status::Error);
  CHECK(results[1].status == Status::Error);
  CHECK(keys_on(redis.first, "kite:deadlines").empty());
  CHECK(keys_on(redis.first, "kite:d:*").empty());
  redis.second.start();

  // The control shard fails last, after the device's shard applied its part: the message stands,
  // its deadline entry is lost (that only delays its expiry), and the call answers an error.
  redis.first.stop();
  const auto partial = store->enqueue(on_second, expiring, kNow);
  CHECK(partial.status == Status::Error);
  CHECK(partial.error.find("part of this write may be stored") != std::string::npos);
  CHECK(keys_on(redis.second, "kite:d:{" + on_second + "}:q").size() == 1);
  redis.first.start();
  CHECK(queued_seqs(*store, on_second) == Seqs{1});
}

// Two nodes sending batches over devices of both shards at once: the devices off each batch's
// first shard are claimed, so a race is met before anything is written, and no batch is stored
// in part. Every message is kept once, seqs unique and gap-free on both devices.
TEST_CASE("two stores sending batches over two shards at once: nothing lost, nothing twice") {
  ShardedRedisStore redis;
  auto node_a = redis.open();
  auto node_b = redis.open();
  // Not a structured binding: clang 14 does not let the lambdas below capture one.
  const auto devices = devices_on_two_shards();
  const std::string on_first = devices.first, on_second = devices.second;
  constexpr int kPerSender = 60;
  std::vector<int> errors(4, 0);
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      MessageStore& node = t % 2 == 0 ? *node_a : *node_b;
      std::vector<EnqueueResult> results;
      for (int i = 0; i < kPerSender; ++i) {
        const std::string payload = std::to_string(t) + "-" + std::to_string(i);
        // Half the senders start on one shard, half on the other.
        const std::string& head = t < 2 ? on_first : on_second;
        const std::string& tail = t < 2 ? on_second : on_first;
        const std::vector<std::pair<std::string_view, NewMessage>> batch{{head, text(payload)},
                                                                         {tail, text(payload)}};
        node.enqueue_batch(batch, kNow, results);
        for (const auto& result : results) errors[t] += result.status != Status::Queued;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  CHECK(errors == std::vector<int>(4, 0));
  for (const std::string& device : {on_first, on_second}) {
    INFO(device);
    const auto queue = read_all(*node_a, device);
    CHECK(queue.size() == 4 * kPerSender);
    std::set<std::string> payloads;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      CHECK(queue[i].seq == i + 1);
      payloads.insert(queue[i].payload);
    }
    CHECK(payloads.size() == 4 * kPerSender);
  }
  CHECK(node_a->healthy());
  CHECK(node_b->healthy());
}
