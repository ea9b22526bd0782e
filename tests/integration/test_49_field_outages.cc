// Devices on bad networks (issue 22), the long outages: a 60 s partition and a link that flaps
// for 2 minutes, with traffic both ways throughout. The rig is field_rig.h's; the faults of a
// moment are test_48.
#include "field_rig.h"

namespace kite::it {

TEST_CASE(
    "49.1 field: a 60 s partition with traffic both ways in flight, then healed: nothing "
    "accepted is lost or delivered twice") {
  FieldRig rig("partition", 20, 5'000);
  Traffic traffic(rig);
  warm_up(rig, traffic);
  traffic.run_until(now_ms() + 1'000, 100);
  rig.lab.set_link(false);  // mid-traffic: frames and acks in flight vanish
  traffic.run_until(now_ms() + 60'000, 1'000);
  rig.lab.set_link(true);
  const Millis healed_at = now_ms();
  // An attempt made into the dead link times out (5 s) before the capped back-off (5 s) runs.
  REQUIRE(rig.all_connected(4 * kWait));
  MESSAGE("every device back " << now_ms() - healed_at << " ms after the heal");
  traffic.run_until(now_ms() + 1'000, 100);
  REQUIRE(traffic.settled(4 * kWait));
  traffic.check_exactly_once();
}

TEST_CASE(
    "49.2 field: a link that flaps every 2 s for 2 minutes: nothing accepted is lost or "
    "delivered twice") {
  FieldRig rig("flap", 10, 1'000);
  Traffic traffic(rig);
  warm_up(rig, traffic);
  const Millis end = now_ms() + 120'000;
  bool up = true;
  while (now_ms() < end) {
    traffic.run_until(std::min(end, now_ms() + 2'000), 250);
    up = !up;
    rig.lab.set_link(up);
  }
  rig.lab.set_link(true);
  REQUIRE(rig.all_connected(4 * kWait));
  REQUIRE(traffic.settled(4 * kWait));
  traffic.check_exactly_once();
  int sessions = 0;
  for (const auto& device : rig.fleet.snapshot()) sessions += device.connects;
  MESSAGE(sessions << " sessions over 2 minutes of flapping");
}

}  // namespace kite::it
