// Devices on bad networks (issue 22), the faults of a moment: a device or kited vanishing
// without a FIN, a slow link, long round trips with resets, a cut in the middle of a frame and
// half-open connections. The rig (field_rig.h): SDK devices in a network namespace of their own,
// a veth link and a FaultProxy in front of kited. Each checks that nothing accepted is lost and
// nothing reaches an app twice. The long outages (a partition, a flapping link) are test_49.
#include "field_rig.h"

namespace kite::it {

TEST_CASE(
    "48.1 field: a device that vanishes without a FIN is freed by kited within its keep-alive "
    "limit") {
  FieldRig rig("vanish", 5);
  REQUIRE(rig.all_connected(kWait));
  for (const auto& id : rig.ids) REQUIRE(rig.online(id));
  rig.lab.set_link(false);
  const Millis cut_at = now_ms();
  Millis freed_at = 0;
  while (freed_at == 0 && now_ms() < cut_at + kSilenceLimitMs + kWait) {
    bool any_online = false;
    for (const auto& id : rig.ids) any_online = any_online || rig.online(id);
    if (!any_online) freed_at = now_ms();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE_MESSAGE(freed_at != 0, "kited still shows the devices online");
  const Millis took = freed_at - cut_at;
  MESSAGE("devices silent since the cut freed after " << took << " ms (limit " << kSilenceLimitMs
                                                      << " ms of silence)");
  // Silence counts from the last byte kited read, up to a keep-alive before the cut.
  CHECK(took <= kSilenceLimitMs + 1'000);  // plus kited's timer wheel and this polling
  const auto events = rig.h.wait_events("type=disconnect", rig.ids.size());
  REQUIRE(events["events"].size() == rig.ids.size());
  for (const auto& event : events["events"]) CHECK(event["reason"] == "KeepaliveTimeout");
  rig.lab.set_link(true);
  // And they come back once the link does: an attempt into the dead link may first have to time
  // out (5 s), then wait out its back-off.
  CHECK(rig.all_connected(4 * kWait));
}

TEST_CASE(
    "48.2 field: kited vanishing without a FIN is noticed by the SDK within its keep-alive, "
    "which reconnects once the link is back; nothing sent meanwhile is lost or doubled") {
  FieldRig rig("silent", 5);
  REQUIRE(rig.all_connected(kWait));
  Traffic traffic(rig);
  traffic.send_tick();
  rig.lab.set_link(false);
  const Millis cut_at = now_ms();
  const bool noticed = rig.fleet.wait(
      [](const std::vector<SdkFleet::Device>& devices) {
        for (const auto& device : devices)
          if (device.connected) return false;
        return true;
      },
      static_cast<int>(kSilenceLimitMs) + kWait);
  REQUIRE_MESSAGE(noticed, "a device still believes it is connected");
  Millis last_noticed = 0;
  for (const auto& device : rig.fleet.snapshot())
    last_noticed = std::max(last_noticed, device.left_connected_at - cut_at);
  MESSAGE("every SDK noticed the dead link within " << last_noticed << " ms");
  CHECK(last_noticed <= kSilenceLimitMs + 1'000);
  for (const auto& device : rig.fleet.snapshot())
    CHECK(device.disconnect_reason == "KeepaliveTimeout");
  traffic.run_until(now_ms() + 1'000, 200);  // queued on both sides while the link is dead
  rig.lab.set_link(true);
  const Millis healed_at = now_ms();
  REQUIRE(rig.all_connected(4 * kWait));
  MESSAGE("every device back " << now_ms() - healed_at << " ms after the link came back");
  traffic.send_tick();
  REQUIRE(traffic.settled(2 * kWait));
  traffic.check_exactly_once();
  for (const auto& device : rig.fleet.snapshot()) CHECK_FALSE(device.lost_history);
}

TEST_CASE("48.3 field: 2 KB/s each way with 100 KB messages both ways") {
  FieldRig rig("slow", 1, 2'000, 30'000);
  REQUIRE(rig.all_connected(kWait));
  rig.proxy.set_links({.bytes_per_s = 2'048}, {.bytes_per_s = 2'048});
  Traffic traffic(rig);
  const Millis start = now_ms();
  traffic.send_tick(100'000);
  REQUIRE(traffic.settled(120'000));
  const auto stats = rig.proxy.stats();
  MESSAGE("a 100 KB message each way over 2 KB/s took "
          << now_ms() - start << " ms (" << stats.bytes_up << " bytes up and " << stats.bytes_down
          << " down on the wire)");
  traffic.check_exactly_once();
  CHECK(rig.fleet.snapshot()[0].connects == 1);  // slow is not dead: the session held
}

TEST_CASE(
    "48.4 field: 300 ms round trips with jitter, and connections reset at 5 % a second: nothing "
    "accepted is lost or delivered twice") {
  FieldRig rig("lossy", 20, 1'000);
  REQUIRE(rig.all_connected(kWait));
  const FaultProxy::Link far{.delay_ms = 150, .jitter_ms = 30, .reset_per_s = 0.05};
  rig.proxy.set_links(far, far);
  Traffic traffic(rig);
  traffic.run_until(now_ms() + 30'000, 500);
  rig.proxy.set_links({}, {});
  REQUIRE(rig.all_connected(4 * kWait));
  REQUIRE(traffic.settled(4 * kWait));
  traffic.check_exactly_once();
  const auto stats = rig.proxy.stats();
  MESSAGE(stats.resets << " connections reset, " << stats.accepted << " accepted in all");
  CHECK(stats.resets >= 10);  // 20 devices x 30 s x 5 %/s is 30 on average
}

TEST_CASE(
    "48.5 field: connections cut in the middle of a frame towards the device: it resumes, and "
    "nothing is lost or delivered twice") {
  FieldRig rig("cut", 5);
  Traffic traffic(rig);
  warm_up(rig, traffic);
  // 37 bytes into what kited sends next: inside the frame of this tick's message, padded so
  // that it is longer than any ack or pong that may go first.
  rig.proxy.cut_down_after(37);
  traffic.send_tick(200);
  const bool every_device_cut = rig.fleet.wait(
      [](const std::vector<SdkFleet::Device>& devices) {
        for (const auto& device : devices)
          if (device.connects < 2 || !device.connected) return false;
        return true;
      },
      2 * kWait);
  CHECK(every_device_cut);
  REQUIRE(traffic.settled(2 * kWait));
  traffic.check_exactly_once();
  CHECK(rig.proxy.stats().resets >= rig.ids.size());
}

TEST_CASE(
    "48.6 field: half-open connections either way: the side left open notices within the "
    "keep-alive, and nothing is lost or delivered twice") {
  FieldRig rig("half", 5);
  Traffic traffic(rig);
  warm_up(rig, traffic);

  SUBCASE("kited's side closed, the device's silent (a NAT forgot the flow)") {
    rig.proxy.close_one_side(FaultProxy::Side::Kited);
    const Millis closed_at = now_ms();
    REQUIRE(rig.fleet.wait(
        [](const std::vector<SdkFleet::Device>& devices) {
          for (const auto& device : devices)
            if (device.connects < 2) return false;
          return true;
        },
        static_cast<int>(kSilenceLimitMs) + kWait));
    Millis last = 0;
    for (const auto& device : rig.fleet.snapshot())
      last = std::max(last, device.left_connected_at - closed_at);
    MESSAGE("the devices noticed their silent connection after at most " << last << " ms");
    CHECK(last <= kSilenceLimitMs + 1'000);
  }
  SUBCASE("the device's side closed, kited's silent: the device's new session replaces it") {
    rig.proxy.close_one_side(FaultProxy::Side::Device);
    REQUIRE(rig.fleet.wait(
        [](const std::vector<SdkFleet::Device>& devices) {
          for (const auto& device : devices)
            if (device.connects < 2 || !device.connected) return false;
          return true;
        },
        kWait));
    const auto events = rig.h.wait_events("type=disconnect", rig.ids.size());
    for (const auto& event : events["events"]) CHECK(event["reason"] == "Replaced");
  }
  traffic.send_tick();
  REQUIRE(rig.all_connected(kWait));
  REQUIRE(traffic.settled(2 * kWait));
  traffic.check_exactly_once();
}

}  // namespace kite::it
