// Presence: GET /v1/devices pages through online devices; DELETE /v1/devices/{id}/connection
// ends a session with Kicked, a message and a reconnect-after the device sees.
#include <memory>

#include "harness.h"

namespace kite::it {

TEST_CASE("10.1 presence: online devices are listed in id order, a page at a time") {
  Harness h;
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (const char* id : {"lamp-c", "lamp-a", "lamp-b"}) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options(id)));
    devices.back()->connect_and_open();
  }
  auto first = h.http.request("GET", "/v1/devices?online=true&limit=2");
  REQUIRE(first.status == 200);
  auto body = first.json();
  REQUIRE(body["devices"].size() == 2);
  CHECK(body["devices"][0]["device"] == "lamp-a");
  CHECK(body["devices"][1]["device"] == "lamp-b");
  CHECK(body["devices"][0]["address"] == "127.0.0.1");
  CHECK(body["devices"][0]["tls"] == false);
  CHECK(body["online"] == 3);
  REQUIRE(body["next_cursor"] == "lamp-b");
  auto second = h.http.request("GET", "/v1/devices?limit=2&cursor=lamp-b").json();
  REQUIRE(second["devices"].size() == 1);
  CHECK(second["devices"][0]["device"] == "lamp-c");
  CHECK(second["next_cursor"].is_null());

  for (const char* bad : {"/v1/devices?online=false", "/v1/devices?limit=0",
                          "/v1/devices?limit=1001", "/v1/devices?limit=ten"}) {
    CAPTURE(bad);
    auto response = h.http.request("GET", bad);
    CHECK(response.status == 400);
    CHECK(response.json()["title"] == "Invalid query");
  }
  CHECK(h.http.request("GET", "/v1/devices", "", false).status == 401);
}

TEST_CASE("10.2 presence: a kick ends the session with Kicked, the message and reconnect-after") {
  Harness h;
  TestDevice device(h.device_options("kiosk-1"));
  device.connect_and_open();
  auto answer = h.http.request(
      "DELETE",
      "/v1/devices/kiosk-1/connection?message=maintenance+window&reconnect_after_ms=5000");
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["kicked"] == true);
  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Kicked);
  CHECK(closed->message == "maintenance window");
  CHECK(closed->reconnect_after_ms == 5000);
  auto info = h.wait_device("kiosk-1", [](const auto& b) { return b["online"] == false; });
  CHECK(info["online"] == false);

  auto again = h.http.request("DELETE", "/v1/devices/kiosk-1/connection");
  CHECK(again.status == 404);
  CHECK(again.json()["title"] == "Device not connected");
  CHECK(h.http.request("DELETE", "/v1/devices/kiosk-1/connection?reconnect_after_ms=-1").status ==
        400);
}

}  // namespace kite::it
