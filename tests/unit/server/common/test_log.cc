// Log lines: both formats, and no way for a field value to forge a line or a field.
#include <doctest/doctest.h>

#include "common/log.h"

using namespace kite::server::log;

TEST_CASE("text lines quote and escape values that could forge a field or a line") {
  auto line = format_line(Level::warn, "auth.failed",
                          {{"device", "evil\nts=0 level=error"}, {"attempts", 3}, {"ok", false}},
                          Format::text, "T");
  CHECK(line == "T warn auth.failed device=\"evil\\u000ats=0 level=error\" attempts=3 ok=false\n");
}

TEST_CASE("json lines are one object with escaped strings") {
  auto line = format_line(Level::info, "connection.opened",
                          {{"device", "a\"b"}, {"port", 7000u}, {"ratio", 0.5}}, Format::json, "T");
  CHECK(line ==
        "{\"ts\":\"T\",\"level\":\"info\",\"event\":\"connection.opened\",\"device\":\"a\\\"b\","
        "\"port\":7000,\"ratio\":0.5}\n");
}

TEST_CASE("levels parse and filter") {
  bool ok = false;
  CHECK(parse_level("warn", &ok) == Level::warn);
  CHECK(ok);
  parse_level("loud", &ok);
  CHECK_FALSE(ok);
  configure(Level::warn, Format::text);
  CHECK_FALSE(enabled(Level::info));
  CHECK(enabled(Level::error));
  configure(Level::info, Format::text);
}
