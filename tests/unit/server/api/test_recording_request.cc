// The body of PUT /v1/recording: on or off, for every connection (null) or chosen devices; every
// refusal says what is wrong.
#include <doctest/doctest.h>

#include "api/recording_request.h"

using kite::server::api::parse_recording_change;
using kite::server::api::RecordingChange;

namespace {

std::string refusal(const std::string& body) {
  RecordingChange change;
  return parse_recording_change(body, change);
}

}  // namespace

TEST_CASE("on for every connection, off, and on for chosen devices") {
  RecordingChange change;
  REQUIRE(parse_recording_change(R"({"enabled":true})", change) == "");
  CHECK(change.enabled);
  CHECK_FALSE(change.devices.has_value());
  REQUIRE(parse_recording_change(R"({"enabled":true,"devices":null})", change) == "");
  CHECK_FALSE(change.devices.has_value());
  REQUIRE(parse_recording_change(R"({"enabled":false})", change) == "");
  CHECK_FALSE(change.enabled);
  REQUIRE(parse_recording_change(R"({"devices":["lamp-2","lamp-1"],"enabled":true})", change) ==
          "");
  CHECK(change.enabled);
  CHECK(change.devices == std::vector<std::string>{"lamp-2", "lamp-1"});
}

TEST_CASE("bad bodies are refused with what is wrong") {
  CHECK(refusal("{") == "the body is not valid JSON");
  CHECK(refusal("[true]") == "the body must be a JSON object");
  CHECK(refusal("{}") == "\"enabled\" is required: true or false");
  CHECK(refusal(R"({"enabled":"yes"})") == "\"enabled\" is required: true or false");
  CHECK(refusal(R"({"enabled":true,"device":["a"]})") ==
        "unknown member \"device\": expected \"enabled\" and \"devices\"");
  CHECK(refusal(R"({"enabled":true,"x\n":1})") ==
        "unknown member \"x\\u000A\": expected \"enabled\" and \"devices\"");
  CHECK(refusal(R"({"enabled":true,"devices":"lamp-1"})") ==
        "\"devices\" must be an array of device ids, or null for every connection");
  CHECK(refusal(R"({"enabled":true,"devices":[]})").starts_with("\"devices\" is empty"));
  CHECK(refusal(R"({"enabled":true,"devices":["a",3]})") == "\"devices\"[1] must be a string");
}

TEST_CASE("device ids are checked as everywhere else") {
  CHECK(refusal(R"({"enabled":true,"devices":["ok",""]})") ==
        "\"devices\"[1]: expected a device id of 1 to 128 bytes, got 0 bytes");
  CHECK(refusal(R"({"enabled":true,"devices":["a\u0001b"]})") ==
        "\"devices\"[0]: \"a\\u0001b\": a device id has no control characters");
  CHECK(refusal(R"({"enabled":true,"devices":["service:billing"]})") ==
        "\"devices\"[0]: \"service:billing\": \"service:\" ids are services, not devices");
  const std::string long_id(129, 'x');
  CHECK(refusal(R"({"enabled":true,"devices":[")" + long_id + R"("]})") ==
        "\"devices\"[0]: expected a device id of 1 to 128 bytes, got 129 bytes");
  std::string many = R"({"enabled":true,"devices":[)";
  for (int i = 0; i <= 10000; ++i) many += (i ? ",\"d" : "\"d") + std::to_string(i) + "\"";
  CHECK(refusal(many + "]}") == "\"devices\" has 10001 ids; at most 10000");
}
