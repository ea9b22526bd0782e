// A cluster node cut off from the other nodes' membership changes (its subscription to Redis
// broke while a change was published) reads the memberships from Redis again when it subscribes
// again: a group send through it then reaches a member added through another node meanwhile.
#include <signal.h>

#include <cstdlib>

#include "harness.h"
#include "redis_process.h"

namespace kite::it {

TEST_CASE("42.1 cluster groups: a node that missed a membership change resyncs on resubscribe") {
  RedisProcess redis;
  Harness node_a{redis.kited_flags()};
  Harness node_b{redis.kited_flags()};
  TestDevice device(node_b.device_options("shelf-42"));
  device.connect_and_open();

  // B frozen, its subscription cut: the change A publishes now reaches nobody on B.
  REQUIRE(::kill(node_b.kited.pid(), SIGSTOP) == 0);
  struct Thaw {  // B runs again even when a check below fails
    pid_t pid;
    ~Thaw() { ::kill(pid, SIGCONT); }
  } thaw{node_b.kited.pid()};
  const std::string cli = "redis-cli -s " + redis.socket() + " client kill type pubsub >/dev/null";
  REQUIRE(std::system(cli.c_str()) == 0);
  REQUIRE(node_a.http.request("PUT", "/v1/groups/aisle-42/members/shelf-42", "").status == 201);
  ::kill(node_b.kited.pid(), SIGCONT);

  CHECK(wait_log(node_b.kited, "cluster.groups_resynced"));
  REQUIRE(wait_group_size(node_b, "aisle-42", 1));
  auto sent = node_b.http.request("POST", "/v1/messages", R"({"group":"aisle-42","payload":"on"})");
  REQUIRE(sent.status == 200);
  CHECK(sent.json()["summary"]["queued"] == 1);
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "on");
}

}  // namespace kite::it
