// Delivery: to one device among many, in order, from the offline queue, after a takeover.
#include <memory>

#include "harness.h"

namespace kite::it {

TEST_CASE("02.1 delivery: a message for one device among 1,000 connected reaches it only") {
  constexpr int kDevices = 1000;
  Harness h({"--set", "auth.max_unauthenticated_per_ip=100000"});
  std::vector<std::unique_ptr<TestDevice>> devices;
  std::vector<TestDevice*> all;
  for (int i = 0; i < kDevices; ++i) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options(numbered("meter", i))));
    all.push_back(devices.back().get());
    devices.back()->connect();
  }
  auto opened = [&] {
    return std::all_of(all.begin(), all.end(), [](TestDevice* d) { return d->was_opened(); });
  };
  REQUIRE(pump_devices(all, 20'000, opened));
  for (auto* d : all) REQUIRE_FALSE(d->closed().has_value());

  const int target = 537;
  h.send_ok(numbered("meter", target), "just for you");
  REQUIRE(pump_devices(all, kWait, [&] { return !all[target]->inbox().empty(); }));
  // A quiet period on every socket: nothing else may arrive anywhere.
  pump_devices(all, 300, [] { return false; });
  std::size_t elsewhere = 0;
  for (int i = 0; i < kDevices; ++i)
    if (i != target) elsewhere += all[i]->delivered_count();
  CHECK(elsewhere == 0);
  REQUIRE(all[target]->inbox().size() == 1);
  CHECK(all[target]->inbox().front().payload == "just for you");
  for (auto* d : all) CHECK_FALSE(d->closed().has_value());
  auto neighbour = h.http.device(numbered("meter", target + 1));
  CHECK(neighbour["next_seq"] == 1);
  CHECK(neighbour["online"] == true);
}

TEST_CASE("02.2 delivery: 100 messages arrive in order, each once") {
  Harness h;
  TestDevice device(h.device_options("sensor-1"));
  device.connect_and_open();
  for (int i = 0; i < 100; ++i) h.send_ok("sensor-1", numbered("m", i));
  auto messages = device.take_messages(100, kWait);
  REQUIRE(messages.size() == 100);
  for (int i = 0; i < 100; ++i) {
    CHECK(messages[i].payload == numbered("m", i));
    CHECK(messages[i].seq == static_cast<std::uint64_t>(i + 1));
  }
  auto info = h.wait_device("sensor-1", [](const auto& b) { return b["queued"] == 0; }, {&device});
  CHECK(info["queued"] == 0);
  CHECK(info["acked_through"] == 100);
}

TEST_CASE("02.3 delivery: the offline queue is delivered in order on reconnect") {
  Harness h;
  for (int i = 0; i < 50; ++i) {
    auto answer = h.send_ok("sleepy-1", numbered("q", i));
    CHECK(answer["status"] == "queued");
    CHECK(answer["online"] == false);
    CHECK(answer["seq"] == i + 1);
  }
  auto before = h.http.device("sleepy-1");
  CHECK(before["online"] == false);
  CHECK(before["queued"] == 50);

  TestDevice device(h.device_options("sleepy-1"));
  device.connect_and_open();
  auto messages = device.take_messages(50, kWait);
  REQUIRE(messages.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(messages[i].payload == numbered("q", i));
  auto after = h.wait_device("sleepy-1", [](const auto& b) { return b["queued"] == 0; }, {&device});
  CHECK(after["queued"] == 0);
  CHECK(after["acked_through"] == 50);
  CHECK(after["online"] == true);
}

TEST_CASE("02.4 delivery: takeover: the old connection gets Replaced, the new one receives") {
  Harness h;
  TestDevice first(h.device_options("car-1")), second(h.device_options("car-1"));
  first.connect_and_open();
  second.connect_and_open();

  auto closed = first.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Replaced);
  CHECK(closed->by_peer);
  CHECK_FALSE(protocol::reconnect_allowed(closed->reason));
  CHECK(first.wait_socket_closed(kWait));

  h.send_ok("car-1", "to the newest");
  auto message = second.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "to the newest");
  CHECK(second.is_open());
  CHECK(h.http.device("car-1")["online"] == true);
  CHECK(first.delivered_count() == 0);
}

// A device gave up on a slow handshake and opened another; the server reads the first one's
// proof only now. Newest is by Hello: the late one is refused, the session in use stays.
TEST_CASE("02.5 delivery: a handshake given up and finished late does not replace the newer one") {
  Harness h;
  TestDevice abandoned(h.device_options("car-5")), current(h.device_options("car-5"));
  abandoned.connect();  // its Hello is sent; the challenge stays unread, so no proof yet
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  current.connect_and_open();

  auto closed = abandoned.wait_closed(kWait);  // now it reads the challenge and proves itself
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Superseded);
  CHECK(protocol::reconnect_allowed(closed->reason));  // were it the device's, it would retry
  h.send_ok("car-5", "to the one in use");
  auto message = current.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "to the one in use");
  CHECK_FALSE(current.closed());
  CHECK(abandoned.delivered_count() == 0);
}

}  // namespace kite::it
