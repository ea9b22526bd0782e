// The service directory: several connections per service name, each removed only by its own.
#include <doctest/doctest.h>

#include "core/service_directory.h"

using namespace kite::server;

TEST_CASE("services: every connection of a name is found, and each leaves alone") {
  ServiceDirectory services;
  services.add("service:billing",
               Route{.connection = 11, .since_ms = 0, .worker = 0, .tls = false, .address = {}});
  services.add("service:billing",
               Route{.connection = 22, .since_ms = 0, .worker = 1, .tls = false, .address = {}});
  services.add("service:reports",
               Route{.connection = 33, .since_ms = 0, .worker = 0, .tls = false, .address = {}});
  CHECK(services.find("service:billing").size() == 2);
  CHECK(services.find("service:none").empty());
  services.remove("service:billing",
                  Route{.connection = 22, .since_ms = 0, .worker = 1, .tls = false, .address = {}});
  auto left = services.find("service:billing");
  REQUIRE(left.size() == 1);
  CHECK(left[0].connection == 11);
  services.remove("service:billing", Route{.connection = 99,
                                           .since_ms = 0,
                                           .worker = 1,
                                           .tls = false,
                                           .address = {}});  // not its own: nothing happens
  CHECK(services.size() == 2);
}
