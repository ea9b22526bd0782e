// The service directory: several connections per service name, each removed only by its own.
#include <doctest/doctest.h>

#include "core/service_directory.h"

using namespace kite::server;

TEST_CASE("services: every connection of a name is found, and each leaves alone") {
  ServiceDirectory services;
  services.add("service:billing", Route{0, 11, 0, {}});
  services.add("service:billing", Route{1, 22, 0, {}});
  services.add("service:reports", Route{0, 33, 0, {}});
  CHECK(services.find("service:billing").size() == 2);
  CHECK(services.find("service:none").empty());
  services.remove("service:billing", Route{1, 22, 0, {}});
  auto left = services.find("service:billing");
  REQUIRE(left.size() == 1);
  CHECK(left[0].connection == 11);
  services.remove("service:billing", Route{1, 99, 0, {}});  // not its own: nothing happens
  CHECK(services.size() == 2);
}
