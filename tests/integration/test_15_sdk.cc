// The device SDK (kite::Client) against a real kited: messages, commands, uplink with
// completions, groups, resume across a server restart, back-off, goaway, the offline queue and
// calls made from inside callbacks.
#include "harness.h"
#include "sdk_probe.h"

namespace kite::it {

TEST_CASE("15.1 sdk: connects, receives, acks, answers a command, publishes and joins a group") {
  Harness h;
  Client client(sdk_options("sdk-basic", h.kited.device_port()));
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  CHECK(client.state() == State::Connected);

  h.send_ok("sdk-basic", "hello device");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  CHECK(probe.snapshot().messages[0] == "hello device");
  auto info = h.wait_device("sdk-basic", [](const auto& b) { return b["acked_through"] == 1; });
  CHECK(info["acked_through"] == 1);
  CHECK(info["online"] == true);

  auto answer = h.http.request("POST", "/v1/devices/sdk-basic/commands",
                               R"({"name":"set_target","payload":"21.5","timeout_ms":3000})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["payload"] == "set_target:21.5");

  REQUIRE(client.publish({.payload = "reading 1", .topic = "telemetry"}, probe.completion()) ==
          Error::Ok);
  REQUIRE(client.join("room-1", probe.completion()) == Error::Ok);
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.completions.size() == 2; }, kWait));
  for (const auto& [error, detail] : probe.snapshot().completions) {
    INFO(detail);
    CHECK(error == Error::Ok);
  }
  CHECK(h.http.request("GET", "/v1/groups/room-1").json()["size"] == 1);
  CHECK(client.queued() == 0);

  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  CHECK(client.publish({.payload = "late"}) == Error::Stopped);
  auto gone = h.wait_device("sdk-basic", [](const auto& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
}

}  // namespace kite::it
