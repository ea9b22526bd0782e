// Admission before authentication: a cap per source (IPv4 address, IPv6 /64), and back-off per
// (source, device id) that a stranger behind the same address cannot turn against other devices.
#include <doctest/doctest.h>

#include "core/admission.h"

using namespace kite::server;

namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

AdmissionLimits limits(std::uint32_t cap, Millis base, Millis max, std::size_t tracked = 65536) {
  AdmissionLimits out;
  out.max_unauthenticated_per_ip = cap;
  out.backoff_base_ms = base;
  out.backoff_max_ms = max;
  out.max_tracked = tracked;
  return out;
}

}  // namespace

TEST_CASE("admission: a cap on unauthenticated connections per source, IPv6 by /64") {
  Admission admission(limits(2, 1000, 4000));
  CHECK(admission.admit(ip("10.0.0.1")));
  CHECK(admission.admit(ip("10.0.0.1")));
  CHECK_FALSE(admission.admit(ip("10.0.0.1")));  // over the cap
  CHECK(admission.admit(ip("10.0.0.2")));        // other sources are not affected
  admission.release(ip("10.0.0.1"));
  CHECK(admission.admit(ip("10.0.0.1")));

  // A new address in the same /64 is the same source: no fresh slots by changing address.
  CHECK(admission.admit(ip("2001:db8:0:1::1")));
  CHECK(admission.admit(ip("2001:db8:0:1::2")));
  CHECK_FALSE(admission.admit(ip("2001:db8:0:1:ffff::3")));
  CHECK(admission.admit(ip("2001:db8:0:2::1")));  // the next /64 is another source
  CHECK(admission.tracked_sources() == 4);
  // Entries go with their last connection: the map holds only sources with one open.
  for (const char* a : {"10.0.0.1", "10.0.0.1", "10.0.0.2", "2001:db8:0:1::9", "2001:db8:0:1::9",
                        "2001:db8:0:2::1"})
    admission.release(ip(a));
  CHECK(admission.tracked_sources() == 0);
}

TEST_CASE("admission: back-off grows per (source, device id) and stops at its maximum") {
  Admission admission(limits(64, 1000, 4000));
  const auto nat = ip("203.0.113.7");
  CHECK_FALSE(admission.backing_off(nat, "victim", 0));
  admission.record_failure(nat, "attacked", 0);
  CHECK(admission.backing_off(nat, "attacked", 999));
  CHECK_FALSE(admission.backing_off(nat, "attacked", 1000));
  // The other devices behind the same address are not held back by a stranger's failures.
  CHECK_FALSE(admission.backing_off(nat, "victim", 500));
  // Nor is the same id from another source.
  CHECK_FALSE(admission.backing_off(ip("198.51.100.1"), "attacked", 500));

  admission.record_failure(nat, "attacked", 1000);  // second failure: 2 s
  CHECK(admission.backing_off(nat, "attacked", 2999));
  CHECK_FALSE(admission.backing_off(nat, "attacked", 3000));
  for (int i = 0; i < 10; ++i) admission.record_failure(nat, "attacked", 3000);  // capped at 4 s
  CHECK(admission.backing_off(nat, "attacked", 6999));
  CHECK_FALSE(admission.backing_off(nat, "attacked", 7000));
  admission.record_success(nat, "attacked");
  CHECK(admission.tracked_failures() == 0);
}

TEST_CASE("admission: back-off entries expire, and their number has a cap") {
  Admission admission(limits(64, 1000, 4000, 16 * 4));  // 4 per shard
  const auto source = ip("192.0.2.1");
  admission.record_failure(source, "old", 0);
  // Forgotten after twice the longest back-off: a failure that long ago no longer counts.
  CHECK_FALSE(admission.backing_off(source, "old", Admission::kForgetAfterMax * 4000));
  CHECK(admission.tracked_failures() == 0);

  for (int i = 0; i < 10'000; ++i)
    admission.record_failure(ip(("192.0.2." + std::to_string(i % 250)).c_str()),
                             "id-" + std::to_string(i), 0);
  CHECK(admission.tracked_failures() <= 16 * 4);
  // The newest failure is always kept: a full table never forgets the attempt just made.
  admission.record_failure(source, "newest", 1);
  CHECK(admission.backing_off(source, "newest", 2));
}
