// Several kited nodes on one Redis (store.engine = "redis"): any node accepts sends for any
// device, and a device connected to one node gets what was sent through another, in order, once.
#include <set>

#include "harness.h"
#include "redis_process.h"

namespace kite::it {

TEST_CASE("39.1 nodes: a device on node B gets what is sent through A and B, in order, once") {
  RedisProcess redis;
  Harness node_a(redis.kited_flags());
  Harness node_b(redis.kited_flags());
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

TEST_CASE("39.2 nodes: queued through node A while offline, delivered on node B, kill -9 of A") {
  RedisProcess redis;
  Harness node_a(redis.kited_flags());
  Harness node_b(redis.kited_flags());
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

TEST_CASE("39.3 nodes: a device that moves from node A to node B resumes its queue there") {
  RedisProcess redis;
  Harness node_a(redis.kited_flags());
  Harness node_b(redis.kited_flags());
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

TEST_CASE("39.4 nodes: takeover across nodes: the connection on A gets Replaced, B receives") {
  RedisProcess redis;
  Harness node_a(redis.kited_flags());
  Harness node_b(redis.kited_flags());
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

TEST_CASE("39.5 nodes: QoS 0 sent through node A reaches a device on node B") {
  RedisProcess redis;
  Harness node_a(redis.kited_flags());
  Harness node_b(redis.kited_flags());
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

}  // namespace kite::it
