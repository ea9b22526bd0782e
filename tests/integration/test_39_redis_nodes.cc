// Several kited nodes on one Redis (store.engine = "redis"): any node accepts sends for any
// device, and a device connected to one node gets what was sent through another, in order, once.
#include <memory>
#include <set>
#include <vector>

#include "harness.h"
#include "redis_process.h"

namespace kite::it {

// Two kited nodes on one Redis, each with its admin client and device factory.
struct TwoNodes {
  RedisProcess redis;
  Harness node_a{redis.kited_flags()};
  Harness node_b{redis.kited_flags()};
};

TEST_CASE_FIXTURE(
    TwoNodes, "39.1 nodes: a device on node B gets what is sent through A and B, in order, once") {
  TestDevice device(node_b.device_options("roamer-1"));
  device.connect_and_open();
  node_a.wait_device("roamer-1", [](const auto& body) { return body["queued"] == 0; });

  // Alternating, then the last five through A alone: those reach B only by A's wake-up.
  constexpr int kMessages = 45;
  for (int i = 0; i < kMessages; ++i) {
    Harness& through = i % 2 == 0 || i >= 40 ? node_a : node_b;
    const auto answer = through.send_ok("roamer-1", numbered("n", i));
    CHECK(answer["online"] == (&through == &node_b));  // a node knows its own connections only
  }
  auto messages = device.take_messages(kMessages, kWait);
  device.pump_until(now_ms() + 200, [] { return false; });  // a duplicate would show up now
  REQUIRE(messages.size() == kMessages);
  CHECK(device.inbox().empty());
  for (int i = 0; i < kMessages; ++i) CHECK(messages[i].payload == numbered("n", i));
  // Both nodes see the one queue: every message acknowledged, whichever node stored it.
  auto info = node_a.wait_device("roamer-1", [](const auto& body) { return body["queued"] == 0; },
                                 {&device});
  CHECK(info["acked_through"] == kMessages);
}

TEST_CASE_FIXTURE(
    TwoNodes,
    "39.2 nodes: queued through node A while offline, delivered on node B, kill -9 of A") {
  for (int i = 0; i < 25; ++i) node_a.send_ok("sleeper-2", numbered("q", i));
  node_a.kited.kill9();  // what A answered 202 is in Redis, not in A
  CHECK(node_b.http.device("sleeper-2")["queued"] == 25);
  TestDevice device(node_b.device_options("sleeper-2"));
  device.connect_and_open();
  auto messages = device.take_messages(25, kWait);
  REQUIRE(messages.size() == 25);
  std::set<std::string> distinct;
  for (int i = 0; i < 25; ++i) {
    CHECK(messages[i].payload == numbered("q", i));
    distinct.insert(messages[i].payload);
  }
  CHECK(distinct.size() == 25);
}

TEST_CASE_FIXTURE(TwoNodes,
                  "39.3 nodes: a device that moves from node A to node B resumes its queue there") {
  auto options = node_a.device_options("mover-3");
  options.auto_ack = false;
  TestDevice on_a(options);
  on_a.connect_and_open();
  for (int i = 0; i < 10; ++i) node_b.send_ok("mover-3", numbered("m", i));
  REQUIRE(on_a.take_messages(10, kWait).size() == 10);  // woken through B's PUBLISH
  on_a.drop();                                          // nothing acknowledged

  auto moved = node_b.device_options("mover-3");
  TestDevice on_b(moved);
  on_b.connect_and_open();
  auto again = on_b.take_messages(10, kWait);
  REQUIRE(again.size() == 10);  // unacknowledged: delivered again, from the shared queue
  for (int i = 0; i < 10; ++i) CHECK(again[i].payload == numbered("m", i));
  auto info =
      node_a.wait_device("mover-3", [](const auto& body) { return body["queued"] == 0; }, {&on_b});
  CHECK(info["acked_through"] == 10);
}

// As 02.5 across nodes (test 44.1 met it: a device resuming through HAProxy gave up on a slow node
// and opened a session on another, then was Replaced by its own abandoned attempt and stopped).
TEST_CASE_FIXTURE(TwoNodes,
                  "39.12 nodes: a handshake given up on node A and finished late does not replace "
                  "the session on B") {
  TestDevice abandoned(node_a.device_options("car-12")), current(node_b.device_options("car-12"));
  abandoned.connect();  // its Hello reaches A; the challenge stays unread
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  current.connect_and_open();

  auto closed = abandoned.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Superseded);
  for (int i = 0; i < 3; ++i) node_a.send_ok("car-12", numbered("s", i));
  auto messages = current.take_messages(3, kWait);
  REQUIRE(messages.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(messages[i].payload == numbered("s", i));
  CHECK_FALSE(current.closed());
  CHECK(node_b.http.device("car-12")["online"] == true);
}

TEST_CASE_FIXTURE(
    TwoNodes, "39.4 nodes: takeover across nodes: the connection on A gets Replaced, B receives") {
  TestDevice on_a(node_a.device_options("car-4")), on_b(node_b.device_options("car-4"));
  on_a.connect_and_open();
  on_b.connect_and_open();

  auto closed = on_a.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Replaced);
  CHECK(closed->by_peer);
  CHECK(on_a.wait_socket_closed(kWait));
  node_a.wait_device("car-4", [](const auto& body) { return body["online"] == false; });

  for (int i = 0; i < 5; ++i) node_a.send_ok("car-4", numbered("t", i));  // through the old node
  auto messages = on_b.take_messages(5, kWait);
  REQUIRE(messages.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(messages[i].payload == numbered("t", i));
  CHECK(node_b.http.device("car-4")["online"] == true);
}

TEST_CASE_FIXTURE(TwoNodes, "39.5 nodes: QoS 0 sent through node A reaches a device on node B") {
  TestDevice device(node_b.device_options("lamp-5"));
  device.connect_and_open();
  node_b.wait_device("lamp-5", [](const auto& body) { return body["online"] == true; });

  auto response = node_a.http.send("lamp-5", "blink", 0);
  REQUIRE(response.status == 202);
  CHECK(response.json()["status"] == "sent");  // forwarded to node B
  CHECK(response.json()["online"] == false);   // not connected to node A
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "blink");
  CHECK(message->seq == 0);  // QoS 0: nothing stored
  CHECK(node_a.http.device("lamp-5")["queued"] == 0);
  // A device connected nowhere: dropped, as on a single node.
  auto nowhere = node_a.http.send("lamp-nowhere", "blink", 0);
  CHECK(nowhere.json()["status"] == "dropped");
}

// A Redis that goes away under load for 10 s (longer than any timeout or back-off of kited's:
// the store's 2 s command timeout, the subscriber's 5 s back-off cap), then restarts from its AOF:
// kited stays up, its devices stay connected, every send meanwhile gets a clear 503, /readyz says
// 503 until Redis is back, and every send it answered 202 (before, during or after) reaches the
// device once Redis is back.
TEST_CASE("39.6 nodes: Redis down 10 s under load, restarted from its AOF: 503s, nothing lost") {
  RedisProcess redis(/*aof=*/true);
  Harness node(redis.kited_flags());
  TestDevice device(node.device_options("meter-6"));
  device.connect_and_open();
  std::set<std::string> accepted;
  int refused = 0;
  auto send_for = [&](int messages, int first) {
    for (int i = first; i < first + messages; ++i) {
      auto response = node.http.send("meter-6", numbered("l", i), 1);
      if (response.status == 202) {
        accepted.insert(numbered("l", i));
        continue;
      }
      ++refused;
      INFO(response.status << " " << response.headers << response.body);
      CHECK(response.status == 503);
      CHECK(response.headers.find("Retry-After: 1") != std::string::npos);
      CHECK(response.body.find("Store unavailable") != std::string::npos);
    }
  };
  send_for(50, 0);
  redis.kill();
  const Millis back_at = now_ms() + 10'000;
  int sent = 50;
  while (now_ms() < back_at) {
    send_for(10, sent);
    sent += 10;
    device.pump_until(now_ms() + 50, [] { return false; });
  }
  CHECK(refused > 0);
  CHECK(node.kited.alive());
  CHECK(node.http.request("GET", "/readyz", "").status == 503);  // 10 s: past any probe pace
  redis.start();
  const Millis healed_by = now_ms() + kWait;  // the store probes Redis at most once a second
  while (node.http.send("meter-6", numbered("l", sent), 1).status != 202 && now_ms() < healed_by)
    device.pump_until(now_ms() + 100, [] { return false; });
  accepted.insert(numbered("l", sent++));
  send_for(50, sent);

  std::set<std::string> received;
  const Millis deadline = now_ms() + kWait;
  while (received.size() < accepted.size() && now_ms() < deadline) {
    device.pump_until(now_ms() + 50, [] { return false; });
    for (const auto& message : device.inbox()) received.insert(message.payload);
  }
  for (const std::string& payload : accepted) CHECK(received.count(payload) == 1);
  CHECK(node.kited.alive());
  CHECK(node.http.request("GET", "/readyz", "").status == 200);
}

// A command through node A for a device on node B: B runs it, A answers with the device's reply.
TEST_CASE_FIXTURE(TwoNodes,
                  "39.7 nodes: a command through node A is answered by the device on node B") {
  TestDevice device(node_b.device_options("valve-7"));
  device.connect_and_open();
  node_b.wait_device("valve-7", [](const auto& body) { return body["online"] == true; });

  HttpClient client(node_a.kited.admin_port(), kAdminToken);
  const nlohmann::json body{{"name", "set_target"}, {"payload", "21.5"}, {"timeout_ms", 3000}};
  const HttpResponse response = command_answered(client, device, "valve-7", body);
  INFO(response.body);
  REQUIRE(response.status == 200);
  CHECK(response.json()["payload"] == "set_target:21.5");
  REQUIRE(device.commands().size() == 1);
  // A device connected nowhere is offline, as on one node.
  auto offline = node_a.http.request("POST", "/v1/devices/valve-none/commands", body.dump());
  CHECK(offline.status == 409);
}

// Presence is cluster-wide, and held by a lease: a device on a node killed with -9 is offline on
// the others once the lease lapses (3 s), and commands for it are refused at once, not timed out.
TEST_CASE_FIXTURE(
    TwoNodes,
    "39.8 nodes: any node says where a device is online; a dead node's devices go offline") {
  TestDevice device(node_b.device_options("probe-8"));
  device.connect_and_open();
  auto seen =
      node_a.wait_device("probe-8", [](const auto& body) { return body["online"] == true; });
  CHECK(seen["online"] == true);
  CHECK(seen["node"].is_string());

  node_b.kited.kill9();
  const Millis killed_at = now_ms();
  Millis deadline = killed_at + 3'000 + kWait;
  nlohmann::json after = node_a.http.device("probe-8");
  while (after["online"] == true && now_ms() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = node_a.http.device("probe-8");
  }
  CHECK(after["online"] == false);
  CHECK(now_ms() - killed_at < 3'000 + 2'000);  // the lease, and a renewal period of slack
  const nlohmann::json command{{"name", "ping"}, {"timeout_ms", 10'000}};
  const Millis asked_at = now_ms();
  auto refused = node_a.http.request("POST", "/v1/devices/probe-8/commands", command.dump());
  CHECK(refused.status == 409);
  CHECK(now_ms() - asked_at < 2'000);
}

// A group send through node A reaches members on both nodes; node B, holding two members, gets
// the QoS 0 message once (one PUBLISH), not once per member.
TEST_CASE_FIXTURE(
    TwoNodes, "39.9 nodes: a group send through A reaches the members on A and B, once per node") {
  TestDevice on_a(node_a.device_options("floor-a1"));
  TestDevice b1(node_b.device_options("floor-b1")), b2(node_b.device_options("floor-b2"));
  for (TestDevice* device : {&on_a, &b1, &b2}) device->connect_and_open();
  for (const char* id : {"floor-a1", "floor-b1", "floor-b2"}) {
    const std::string path = std::string("/v1/groups/floor-9/members/") + id;
    REQUIRE(node_a.http.request("PUT", path, "").status == 201);
    node_b.wait_device(id, [](const auto& body) { return body["online"] == true; });
  }
  const long publishes_before = redis.calls("publish");
  auto qos0 =
      node_a.http.request("POST", "/v1/messages", R"({"group":"floor-9","payload":"dim","qos":0})");
  REQUIRE(qos0.status == 200);
  CHECK(qos0.json()["summary"]["sent"] == 3);
  CHECK(redis.calls("publish") - publishes_before == 1);
  auto qos1 = node_a.http.request("POST", "/v1/messages", R"({"group":"floor-9","payload":"off"})");
  REQUIRE(qos1.status == 200);
  CHECK(qos1.json()["summary"]["queued"] == 3);
  for (TestDevice* device : {&on_a, &b1, &b2}) {
    auto messages = device->take_messages(2, kWait);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].payload == "dim");
    CHECK(messages[1].payload == "off");
  }
}

// Membership changed through one node is seen by a group send through another.
TEST_CASE_FIXTURE(
    TwoNodes,
    "39.10 nodes: a member added or removed through A counts for a group send through B") {
  TestDevice device(node_b.device_options("shelf-10"));
  device.connect_and_open();
  REQUIRE(node_a.http.request("PUT", "/v1/groups/aisle-10/members/shelf-10", "").status == 201);
  REQUIRE(wait_group_size(node_b, "aisle-10", 1));
  auto sent = node_b.http.request("POST", "/v1/messages", R"({"group":"aisle-10","payload":"on"})");
  REQUIRE(sent.status == 200);
  CHECK(sent.json()["summary"]["queued"] == 1);
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "on");

  REQUIRE(node_a.http.request("DELETE", "/v1/groups/aisle-10/members/shelf-10", "").status < 300);
  CHECK(wait_group_size(node_b, "aisle-10", 0));
}

// `all` through node A reaches every device connected to any of three nodes, once: A sends to its
// own devices, and hands the message once to each other node (one PUBLISH in all, however many
// devices those nodes hold), which sends it to theirs; at QoS 1 each node stores it per device.
TEST_CASE("39.11 nodes: `all` through node A reaches every device of three nodes, once") {
  RedisProcess redis;
  Harness a{redis.kited_flags()}, b{redis.kited_flags()}, c{redis.kited_flags()};
  Harness* nodes[] = {&a, &b, &c};
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (int i = 0; i < 7; ++i) {  // 3 on A, 2 on B, 2 on C
    Harness& node = *nodes[i % 3];
    devices.push_back(std::make_unique<TestDevice>(node.device_options(numbered("all", i))));
    devices.back()->connect_and_open();
    node.wait_device(numbered("all", i), [](const auto& body) { return body["online"] == true; });
  }
  const long publishes_before = redis.calls("publish");
  auto qos0 = a.http.request("POST", "/v1/messages", R"({"all":true,"payload":"wave","qos":0})");
  INFO(qos0.body);
  REQUIRE(qos0.status == 200);
  CHECK(qos0.json()["summary"]["sent"] == 3);  // A's own devices
  CHECK(qos0.json()["nodes_reached"] == 2);
  CHECK(redis.calls("publish") - publishes_before == 1);
  auto qos1 = a.http.request("POST", "/v1/messages", R"({"all":true,"payload":"keep"})");
  INFO(qos1.body);
  REQUIRE(qos1.status == 200);
  CHECK(qos1.json()["summary"]["queued"] == 3);
  CHECK(qos1.json()["nodes_reached"] == 2);
  CHECK(redis.calls("publish") - publishes_before == 2);

  for (auto& device : devices) {
    auto messages = device->take_messages(2, kWait);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].payload == "wave");
    CHECK(messages[0].seq == 0);  // QoS 0: nothing stored
    CHECK(messages[1].payload == "keep");
  }
  for (auto& device : devices) device->pump_until(now_ms() + 100, [] { return false; });
  for (int i = 0; i < 7; ++i) {
    CHECK(devices[i]->inbox().empty());  // a duplicate would show up by now
    // Stored once per device, whichever node stored it, and acknowledged there.
    std::vector<TestDevice*> all;
    for (auto& device : devices) all.push_back(device.get());
    auto info = a.wait_device(
        numbered("all", i), [](const auto& body) { return body["queued"] == 0; }, all);
    CHECK(info["acked_through"] == 1);
  }
}

}  // namespace kite::it
