// start()'s option checks: a device id outside kited's character set is refused before dialling,
// with the rule in the message, rather than by kited after a connection.
#include "start_checks.h"

#include <doctest/doctest.h>

#include <string>

namespace kite::sdk {

TEST_CASE("start checks: a device id kited would refuse is refused with the rule") {
  ClientOptions options;
  options.key = std::string(64, 'a');
  protocol::ClientCredentials credentials;
  for (const std::string id : {"../../etc", "a b", "-flag", "a..b"}) {
    CAPTURE(id);
    options.device_id = id;
    const std::string problem = check_options(options, credentials);
    CHECK(problem.find("device_id") != std::string::npos);
    CHECK(problem.find("A-Z a-z 0-9") != std::string::npos);
  }
  options.device_id = "sensor-7.eu_west:a";
  CHECK(check_options(options, credentials).empty());
}

}  // namespace kite::sdk
