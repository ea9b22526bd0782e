// Which groups a device may join or leave itself: allow, deny, and a prefix from the device id.
#include <doctest/doctest.h>

#include "core/device_group_policy.h"

using namespace kite::server;
using Mode = DeviceGroupPolicy::Mode;

TEST_CASE("device group policy: allow lets any group through, deny none, with a reason") {
  DeviceGroupPolicy policy;
  CHECK(policy.refusal("acme-1", "anything").empty());
  policy.mode = Mode::deny;
  CHECK(policy.refusal("acme-1", "anything").find("session.device_groups") != std::string::npos);
}

TEST_CASE("device group policy: prefix expands {device_prefix} and {device_id}") {
  DeviceGroupPolicy policy{Mode::prefix, "tenant-{device_prefix}-"};
  CHECK(policy.allowed_prefix("acme-0042") == "tenant-acme-");
  CHECK(policy.refusal("acme-0042", "tenant-acme-floor-1").empty());
  CHECK(policy.refusal("acme-0042", "tenant-acme-").empty());
  CHECK(policy.refusal("acme-0042", "tenant-globex-floor-1").find("tenant-acme-") !=
        std::string::npos);
  CHECK_FALSE(policy.refusal("acme-0042", "tenant-acmex").empty());  // the separator counts
  CHECK_FALSE(policy.refusal("acme-0042", "admins").empty());
  // No '-' (or nothing before it): no prefix, so nothing is allowed.
  CHECK_FALSE(policy.allowed_prefix("standalone"));
  CHECK_FALSE(policy.allowed_prefix("-odd"));
  CHECK_FALSE(policy.refusal("standalone", "tenant-standalone-x").empty());

  DeviceGroupPolicy own{Mode::prefix, "dev/{device_id}:"};
  CHECK(own.allowed_prefix("lamp-9") == "dev/lamp-9:");
  CHECK(own.refusal("lamp-9", "dev/lamp-9:alerts").empty());
  CHECK_FALSE(own.refusal("lamp-9", "dev/lamp-99:alerts").empty());
}
