// A cluster on Redis Sentinel (redis.sentinels): when the master dies and a replica takes over,
// the nodes follow it without a restart, not only with their store but with their presence,
// wake-up channels and shared event log: a send through node B then reaches a device on node A
// at once, and B shows the events of A's devices.
#include <stdio.h>

#include <fstream>
#include <string>
#include <thread>

#include "child_process.h"
#include "harness.h"
#include "redis_process.h"
#include "test_pki.h"

namespace kite::it {
namespace {

std::string redis_cli(int port, const std::string& args) {
  std::string out;
  const std::string command = "redis-cli -p " + std::to_string(port) + " " + args + " 2>&1";
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

template <typename Done>
bool eventually(Done&& done, Millis ms = kWait) {
  const Millis deadline = now_ms() + ms;
  while (!done() && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling pace
  return done();
}

// The events of `device` that `node` shows.
std::size_t events_of(Harness& node, const std::string& device) {
  auto body =
      node.http.request("GET", "/v1/events?wait=0s&limit=10000&after=0&device=" + device).json();
  return body["events"].size();
}

}  // namespace

TEST_CASE("45.1 cluster on Sentinel: the nodes follow a failover, presence and events included") {
  RedisProcess master(true, {}, static_cast<int>(free_port()));
  RedisProcess replica(true, {"--replicaof", "127.0.0.1", std::to_string(master.port())},
                       static_cast<int>(free_port()));
  REQUIRE(eventually([&] { return redis_cli(master.port(), "WAIT 1 100").find('1') == 0; }));
  test::TempDir dir;
  const std::string conf = (dir.path() / "sentinel.conf").string();
  std::ofstream(conf) << "sentinel monitor kite-0 127.0.0.1 " << master.port() << " 1\n"
                      << "sentinel down-after-milliseconds kite-0 300\n"
                      << "sentinel failover-timeout kite-0 5000\n";
  const int sentinel_port = static_cast<int>(free_port());
  ChildProcess sentinel(
      "redis-sentinel", "/usr/bin/redis-server",
      {conf, "--sentinel", "--port", std::to_string(sentinel_port), "--dir", dir.path().string()});
  REQUIRE(eventually([&] {
    return redis_cli(sentinel_port, "SENTINEL replicas kite-0").find("name") != std::string::npos;
  }));
  const std::vector<std::string> flags{
      "--set", "store.engine=redis",
      "--set", "redis.sentinels=127.0.0.1:" + std::to_string(sentinel_port),
      "--set", "redis.master_names=kite-0",
      "--set", "redis.timeout_ms=500"};
  Harness node_a{flags};
  Harness node_b{flags};
  TestDevice before(node_a.device_options("lamp-45a"));
  before.connect_and_open();
  node_b.send_ok("lamp-45a", "before");
  REQUIRE(before.next_message(kWait));
  before.close();

  master.kill();  // SIGKILL: Sentinel promotes the replica
  REQUIRE(
      eventually([&] { return redis_cli(replica.port(), "ROLE").find("master") == 0; }, 4 * kWait));

  // Both nodes' stores find the new master through the sentinel: ready again.
  REQUIRE(eventually(
      [&] {
        return node_a.http.request("GET", "/readyz").status == 200 &&
               node_b.http.request("GET", "/readyz").status == 200;
      },
      4 * kWait));
  // A's subscription broke with the old master: wake-ups reach it once it subscribed again.
  REQUIRE(wait_log(node_a.kited, "cluster.groups_resynced"));
  // A device that connects to A now is found by B through the new master, and woken at once.
  TestDevice after(node_a.device_options("lamp-45b"));
  after.connect_and_open();
  REQUIRE(eventually([&] { return node_b.http.device("lamp-45b")["online"] == true; }));
  REQUIRE(node_b.http.send("lamp-45b", "after").status == 202);
  auto message = after.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "after");
  // B shows A's events of the new device: appended by A and mirrored by B, both on the new
  // master.
  CHECK(eventually([&] { return events_of(node_b, "lamp-45b") > 0; }));
}

}  // namespace kite::it
