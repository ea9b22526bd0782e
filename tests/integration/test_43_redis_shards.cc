// kited on a sharded Redis (redis.addresses) and with WAIT for replicas (redis.wait_replicas):
// devices of both shards reach each other's node, and a send no replica confirmed answers 503.
#include <set>
#include <thread>

#include "harness.h"
#include "kited_process.h"
#include "redis_process.h"

namespace kite::it {

namespace {

std::vector<std::string> on_shards(const RedisProcess& first, const RedisProcess& second) {
  return {"--set", "store.engine=redis", "--set",
          "redis.addresses=unix:" + first.socket() + ",unix:" + second.socket()};
}

}  // namespace

// "spread-0", "-2", "-4" hash to the second shard, "-1", "-3", "-5" to the first (FNV-1a 64).
TEST_CASE("43.1 shards: devices of two shards get what is sent through either node, once") {
  RedisProcess first, second;
  Harness node_a{on_shards(first, second)};
  Harness node_b{on_shards(first, second)};
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (int d = 0; d < 6; ++d) {
    devices.push_back(
        std::make_unique<TestDevice>(node_b.device_options("spread-" + std::to_string(d))));
    devices.back()->connect_and_open();
  }
  for (int i = 0; i < 4; ++i)
    for (int d = 0; d < 6; ++d)
      (i % 2 == 0 ? node_a : node_b).send_ok("spread-" + std::to_string(d), numbered("s", i));
  for (auto& device : devices) {
    auto messages = device->take_messages(4, kWait);
    REQUIRE(messages.size() == 4);
    for (int i = 0; i < 4; ++i) CHECK(messages[i].payload == numbered("s", i));
  }
  // Three devices each, four messages each; the first, the control shard, also holds the event
  // stream.
  CHECK(first.calls("xadd") >= 12);
  CHECK(second.calls("xadd") == 12);
}

TEST_CASE("43.2 shards: with wait_replicas = 1, a send no replica confirms answers 503") {
  const int port = free_port();
  RedisProcess master(/*aof=*/true, {}, port);
  RedisProcess replica(/*aof=*/true, {"--replicaof", "127.0.0.1", std::to_string(port)});
  Harness node{{"--set", "store.engine=redis", "--set", "redis.address=unix:" + master.socket(),
                "--set", "redis.wait_replicas=1", "--set", "redis.wait_timeout_ms=2000"}};
  // The replica's first sync may still be under way: until then sends are refused.
  const Millis synced_by = now_ms() + kWait;
  while (node.http.send("careful-2", "first", 1).status != 202 && now_ms() < synced_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  node.send_ok("careful-2", "replicated");
  replica.kill();
  const auto refused = node.http.send("careful-2", "alone", 1);
  INFO(refused.status << " " << refused.headers << refused.body);
  CHECK(refused.status == 503);
  CHECK(refused.headers.find("Retry-After: 1") != std::string::npos);
  CHECK(node.kited.alive());
}

}  // namespace kite::it
