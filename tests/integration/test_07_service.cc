// Service connections: a backend publishing to devices over the binary protocol. Its acks mean
// "durably queued", refusals come back per message, and every device gets its own messages in
// order, wherever (on which worker loop) it is connected.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "harness.h"
#include "service_credentials.h"

namespace kite::it {
namespace {

constexpr std::uint8_t kServiceKeyByte = 0x42;

DeviceOptions service_options(const Harness& h) {
  return ServiceCredentials::options(h, "it", kServiceKeyByte);
}

// Publishes every (target, payload) with QoS 1, as fast as the service's credit allows, and
// waits until the server has acknowledged them all.
void publish_all(TestDevice& service, const std::vector<std::pair<std::string, std::string>>& all,
                 std::vector<TestDevice*> devices) {
  devices.push_back(&service);
  std::size_t next = 0;
  const Millis deadline = now_ms() + 4 * kWait;
  while (next < all.size() && now_ms() < deadline) {
    while (next < all.size() &&
           service.publish_to(all[next].first, all[next].second) == protocol::SendStatus::Sent) {
      ++next;
    }
    pump_devices(devices, 5, [] { return false; });
  }
  REQUIRE(next == all.size());
  REQUIRE(pump_devices(devices, kWait, [&] { return service.uplink_acked_through() == next; }));
}

}  // namespace

TEST_CASE(
    "07.1 service: publishes reach their devices in order across workers, acked once stored") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "session.receive_window=256"});
  constexpr int kDevices = 24, kEach = 40;
  std::vector<std::unique_ptr<TestDevice>> devices;
  std::vector<TestDevice*> all;
  for (int i = 0; i < kDevices; ++i) {
    auto options = h.device_options(numbered("pump", i));
    options.source_ip = "127.0.0." + std::to_string(2 + i);  // different 4-tuples: both workers
    devices.push_back(std::make_unique<TestDevice>(options));
    all.push_back(devices.back().get());
    all.back()->connect_and_open();
  }
  TestDevice service(service_options(h));
  service.connect_and_open();

  std::vector<std::pair<std::string, std::string>> messages;
  for (int n = 0; n < kEach; ++n) {
    for (int i = 0; i < kDevices; ++i) messages.emplace_back(numbered("pump", i), numbered("m", n));
    messages.emplace_back("offline-1", numbered("later", n));  // nobody connected: queued
  }
  publish_all(service, messages, all);
  CHECK(service.errors().empty());

  REQUIRE(pump_devices(all, kWait, [&] {
    return std::all_of(all.begin(), all.end(),
                       [](TestDevice* d) { return d->delivered_count() >= kEach; });
  }));
  pump_devices(all, 200, [] { return false; });  // nothing more may arrive
  for (TestDevice* device : all) {
    CAPTURE(device->id());
    REQUIRE(device->inbox().size() == kEach);
    for (int n = 0; n < kEach; ++n) {
      CHECK(device->inbox()[n].payload == numbered("m", n));
      CHECK(device->inbox()[n].seq == static_cast<std::uint64_t>(n + 1));
    }
  }
  auto offline = h.http.device("offline-1");
  CHECK(offline["online"] == false);
  CHECK(offline["queued"] == kEach);
  for (TestDevice* device : all) {
    auto info = h.wait_device(
        device->id(), [](const auto& b) { return b["queued"] == 0; }, all);
    CHECK(info["acked_through"] == kEach);
  }
}

TEST_CASE("07.2 service: a publish to a full queue is refused alone with QueueFull") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "store.per_device_messages=3"});
  TestDevice service(service_options(h));
  service.connect_and_open();
  std::vector<std::pair<std::string, std::string>> messages;
  for (int n = 0; n < 5; ++n) messages.emplace_back("small-1", numbered("m", n));
  messages.emplace_back("small-2", "fits");
  publish_all(service, messages, {});
  REQUIRE(service.errors().size() == 2);
  CHECK(service.errors()[0].reason == Reason::QueueFull);
  CHECK(service.errors()[0].ref == 4);
  CHECK(service.errors()[1].ref == 5);
  CHECK(h.http.device("small-1")["queued"] == 3);
  CHECK(h.http.device("small-2")["queued"] == 1);
  CHECK_FALSE(service.closed().has_value());
}

TEST_CASE("07.3 service: QoS 0 reaches an online device now and is not queued for an offline one") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string()});
  TestDevice device(h.device_options("live-1"));
  device.connect_and_open();
  TestDevice service(service_options(h));
  service.connect_and_open();
  REQUIRE(service.publish_to("live-1", "now", protocol::Qos::AtMostOnce) ==
          protocol::SendStatus::Sent);
  REQUIRE(service.publish_to("gone-1", "never", protocol::Qos::AtMostOnce) ==
          protocol::SendStatus::Sent);
  std::vector<TestDevice*> both{&device, &service};
  REQUIRE(pump_devices(both, kWait, [&] { return !device.inbox().empty(); }));
  CHECK(device.inbox().front().payload == "now");
  CHECK(device.inbox().front().qos == protocol::Qos::AtMostOnce);
  CHECK(h.http.device("gone-1")["queued"] == 0);
  CHECK(service.errors().empty());
}

namespace kite::it {

TEST_CASE("07.4 service: a message replaced within one read is not delivered") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string()});
  TestDevice device(h.device_options("state-1"));
  device.connect_and_open();
  TestDevice service(service_options(h));
  service.connect_and_open();
  // Both in one write: kited reads them together and the second replaces the first.
  REQUIRE(service.publish_to("state-1", "first", protocol::Qos::AtLeastOnce, "mode", false) ==
          protocol::SendStatus::Sent);
  REQUIRE(service.publish_to("state-1", "second", protocol::Qos::AtLeastOnce, "mode") ==
          protocol::SendStatus::Sent);
  std::vector<TestDevice*> both{&device, &service};
  REQUIRE(pump_devices(both, kWait, [&] { return service.uplink_acked_through() == 2; }));
  REQUIRE(pump_devices(both, kWait, [&] { return !device.inbox().empty(); }));
  pump_devices(both, 300, [] { return false; });  // anything else would arrive by now
  REQUIRE(device.inbox().size() == 1);
  CHECK(device.inbox().front().payload == "second");
  CHECK(device.inbox().front().seq == 2);
}

}  // namespace kite::it

TEST_CASE("07.5 service: under write-behind an ack still means written; kill -9 loses nothing") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "session.receive_window=256", "--set", "store.write_behind_ms=200"});
  constexpr int kEach = 100;
  auto online_options = h.device_options("wb-online");
  // Room for everything at once: a device short of credit reads the rest from the store, and a
  // read settles what is pending, which this test must not do.
  online_options.receive_window = 256;
  TestDevice online(online_options);
  online.connect_and_open();
  TestDevice service(service_options(h));
  service.connect_and_open();
  // A device's first message reserves its seqs, written at once: the rest is written behind.
  std::vector<std::pair<std::string, std::string>> all;
  for (int i = 0; i < kEach; ++i) {
    all.emplace_back("wb-online", numbered("on", i));
    all.emplace_back("wb-offline", numbered("off", i));
  }
  publish_all(service, {all[0], all[1]}, {&online});
  all.erase(all.begin(), all.begin() + 2);
  for (const auto& [target, payload] : all)
    REQUIRE(service.publish_to(target, payload) == protocol::SendStatus::Sent);
  // Carried to the online device at once; the service's ack waits for the group commit.
  std::vector<TestDevice*> both{&online, &service};
  REQUIRE(pump_devices(both, kWait, [&] { return online.inbox().size() == kEach; }));
  const std::size_t sent = all.size() + 2;
  CHECK(service.uplink_acked_through() < sent);
  REQUIRE(pump_devices(both, kWait, [&] { return service.uplink_acked_through() == sent; }));
  const std::uint64_t seen_online = online.last_received_seq();
  CHECK(seen_online == kEach);

  h.kited.kill9();  // right after the last ack
  h.kited.restart();
  h.reattach();

  TestDevice offline(h.device_options("wb-offline"));
  offline.connect_and_open();
  auto kept = offline.take_messages(kEach, kWait);
  REQUIRE(kept.size() == kEach);
  for (int i = 0; i < kEach; ++i) CHECK(kept[i].payload == numbered("off", i));

  // The online device resumes: nothing again, and a new message never reuses a seq it has seen.
  online.options().port = h.device_options("wb-online").port;  // the restarted kited's
  online.connect_and_open(kWait, /*resume=*/true);
  TestDevice again(service_options(h));
  again.connect_and_open();
  REQUIRE(again.publish_to("wb-online", "after the crash") == protocol::SendStatus::Sent);
  std::vector<TestDevice*> after{&online, &again};
  REQUIRE(pump_devices(after, kWait, [&] { return online.inbox().size() > kEach; }));
  CHECK(online.inbox().back().payload == "after the crash");
  CHECK(online.inbox().size() == kEach + 1);
  CHECK(online.last_received_seq() > seen_online);
}

TEST_CASE("07.6 service: a drain sends the acks held for write-behind before its goaway") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "store.write_behind_ms=1000", "--set", "server.drain_delay_ms=0"});
  TestDevice service(service_options(h));
  service.connect_and_open();
  publish_all(service, {{"wb-drain", "reserves the seqs"}}, {});
  constexpr std::uint64_t kMore = 50;
  for (std::uint64_t i = 0; i < kMore; ++i)
    REQUIRE(service.publish_to("wb-drain", numbered("d", static_cast<int>(i))) ==
            protocol::SendStatus::Sent);
  std::vector<TestDevice*> just{&service};
  pump_devices(just, 100, [] { return false; });
  CHECK(service.uplink_acked_through() == 1);  // the rest waits for the group commit

  h.kited.signal(SIGTERM);
  REQUIRE(pump_devices(just, 2 * kWait, [&] { return service.closed().has_value(); }));
  CHECK(service.closed()->reason == protocol::Reason::ServerShutdown);
  CHECK(service.uplink_acked_through() == kMore + 1);  // all of it, before the goaway
}

TEST_CASE("07.7 service: under write-behind a delivered message is acked without its write") {
  ServiceCredentials credentials;
  constexpr Millis kInterval = 1000;  // the longest store.write_behind_ms
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "store.write_behind_ms=" + std::to_string(kInterval)});
  TestDevice online(h.device_options("settle-online"));
  online.connect_and_open();
  TestDevice service(service_options(h));
  service.connect_and_open();
  // The first message reserves the device's seqs, written at once; the rest is written behind.
  publish_all(service, {{"settle-online", "reserves the seqs"}}, {&online});
  // One at a time, each waiting for its ack: were the acks waiting for the write, each would
  // wait for the next group commit (almost a whole interval, since the last ack came with the
  // one before). They go once the device has acknowledged the message: a round trip.
  constexpr int kOnline = 10;
  std::vector<TestDevice*> both{&online, &service};
  const Millis start = now_ms();
  for (int i = 0; i < kOnline; ++i) {
    REQUIRE(service.publish_to("settle-online", numbered("on", i)) == protocol::SendStatus::Sent);
    REQUIRE(pump_devices(both, kWait, [&] { return service.uplink_acked_through() == i + 2u; }));
  }
  const Millis took = now_ms() - start;
  CAPTURE(took);
  CHECK(took < kOnline * kInterval / 3);
  CHECK(online.inbox().size() == kOnline + 1);

  // A message for a device that is not connected has no acknowledgement to wait for: its ack
  // comes with the write (when exactly depends on the flusher's phase; the unit tests pin it).
  REQUIRE(service.publish_to("settle-offline", "reserves the seqs") == protocol::SendStatus::Sent);
  REQUIRE(
      pump_devices(both, kWait, [&] { return service.uplink_acked_through() == kOnline + 2u; }));
  REQUIRE(service.publish_to("settle-offline", "waits") == protocol::SendStatus::Sent);
  REQUIRE(pump_devices(both, kInterval + kWait,
                       [&] { return service.uplink_acked_through() == kOnline + 3u; }));

  // What settled was final without a write: after kill -9 the online device resumes and gets
  // nothing again.
  const std::uint64_t seen = online.last_received_seq();
  h.kited.kill9();
  h.kited.restart();
  h.reattach();
  online.options().port = h.device_options("settle-online").port;
  online.connect_and_open(kWait, /*resume=*/true);
  std::vector<TestDevice*> just{&online};
  pump_devices(just, 500, [] { return false; });
  CHECK(online.inbox().size() == kOnline + 1);
  CHECK(online.last_received_seq() == seen);
}

TEST_CASE("07.8 service: under write-behind a duplicate's ack waits for its original's write") {
  ServiceCredentials credentials;
  Harness h({"--set", "auth.service_credentials_file=" + credentials.path().string(), "--set",
             "store.write_behind_ms=1000"});
  TestDevice first(service_options(h));
  first.connect_and_open();
  publish_all(first, {{"dup-target", "reserves the seqs"}}, {});
  // Sent, its ack held for the write; then sent again on another connection (a service that
  // reconnected before its ack came), with the same message id: a duplicate, which stores
  // nothing. Its ack must not go before the original is written.
  REQUIRE(first.publish_to("dup-target", "the one", protocol::Qos::AtLeastOnce, {}, true, "m-1") ==
          protocol::SendStatus::Sent);
  TestDevice second(service_options(h));
  second.connect_and_open();
  REQUIRE(second.publish_to("dup-target", "the one", protocol::Qos::AtLeastOnce, {}, true, "m-1") ==
          protocol::SendStatus::Sent);
  std::vector<TestDevice*> both{&first, &second};
  REQUIRE(pump_devices(both, 2 * kWait, [&] { return second.uplink_acked_through() == 1; }));

  h.kited.kill9();  // right after the duplicate's ack
  h.kited.restart();
  h.reattach();
  TestDevice device(h.device_options("dup-target"));
  device.connect_and_open();
  auto kept = device.take_messages(2, kWait);
  REQUIRE(kept.size() == 2);
  CHECK(kept[1].payload == "the one");
}

}  // namespace kite::it
