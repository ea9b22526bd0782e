// Groups: membership through the API and by devices themselves, and POST /v1/messages to a
// group or a device list with an answer per device.
#include <memory>

#include "harness.h"

namespace kite::it {

TEST_CASE("11.1 groups: members are added, listed, removed; bad names and limits are refused") {
  Harness h;
  TestDevice online(h.device_options("lamp-1"));
  online.connect_and_open();
  for (const char* device : {"lamp-1", "lamp-2", "lamp-3"})
    CHECK(h.http.request("PUT", std::string("/v1/groups/floor-1/members/") + device).status == 201);
  CHECK(h.http.request("PUT", "/v1/groups/floor-1/members/lamp-1").status == 200);  // already

  auto group = h.http.request("GET", "/v1/groups/floor-1?limit=2");
  REQUIRE(group.status == 200);
  auto body = group.json();
  CHECK(body["size"] == 3);
  REQUIRE(body["members"].size() == 2);
  CHECK(body["members"][0]["device"] == "lamp-1");
  CHECK(body["members"][0]["online"] == true);
  CHECK(body["members"][1]["online"] == false);
  CHECK(body["next_cursor"] == "lamp-2");
  CHECK(h.http.request("GET", "/v1/groups/floor-1?cursor=lamp-2").json()["members"].size() == 1);

  CHECK(h.http.request("DELETE", "/v1/groups/floor-1/members/lamp-3").status == 200);
  auto again = h.http.request("DELETE", "/v1/groups/floor-1/members/lamp-3");
  CHECK(again.status == 404);
  CHECK(again.json()["title"] == "Not a member");
  CHECK(h.http.request("GET", "/v1/groups/nobody-here").status == 404);
  CHECK(h.http.request("PUT", "/v1/groups/" + std::string(129, 'g') + "/members/lamp-1").status ==
        400);
  CHECK(h.http.request("PUT", "/v1/groups/floor-1/members/lamp-1", "", false).status == 401);

  // A device is in at most 256 groups.
  for (int i = 0; i < 256; ++i)
    REQUIRE(h.http.request("PUT", "/v1/groups/" + numbered("g", i) + "/members/busy-1").status ==
            201);
  auto full = h.http.request("PUT", "/v1/groups/one-more/members/busy-1");
  CHECK(full.status == 409);
  CHECK(full.json()["title"] == "Too many groups");
}

TEST_CASE("11.2 groups: a group send answers per device and reaches the online member now") {
  Harness h;
  TestDevice online(h.device_options("fan-1"));
  online.connect_and_open();
  for (const char* device : {"fan-1", "fan-2"})
    REQUIRE(h.http.request("PUT", std::string("/v1/groups/hall/members/") + device).status == 201);

  auto answer =
      h.http.request("POST", "/v1/messages", R"({"group":"hall","payload":"on","topic":"power"})");
  REQUIRE(answer.status == 200);
  auto body = answer.json();
  REQUIRE(body["results"].size() == 2);
  CHECK(body["summary"]["queued"] == 2);
  CHECK(body["results"][0]["device"] == "fan-1");
  CHECK(body["results"][0]["online"] == true);
  CHECK(body["results"][1]["online"] == false);
  auto message = online.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "on");
  CHECK(h.http.device("fan-2")["queued"] == 1);

  // QoS 0 to a list: sent to the online one, dropped for the other.
  auto transient = h.http.request("POST", "/v1/messages",
                                  R"({"devices":["fan-1","fan-9"],"payload":"blink","qos":0})");
  REQUIRE(transient.status == 200);
  CHECK(transient.json()["summary"]["sent"] == 1);
  CHECK(transient.json()["summary"]["dropped"] == 1);
  auto blink = online.next_message(kWait);
  REQUIRE(blink);
  CHECK(blink->payload == "blink");

  // Everyone online: fan-1 only (fan-2 is not connected).
  auto everyone = h.http.request("POST", "/v1/messages", R"({"all":true,"payload":"hello all"})");
  REQUIRE(everyone.status == 200);
  REQUIRE(everyone.json()["results"].size() == 1);
  CHECK(everyone.json()["results"][0]["device"] == "fan-1");
  auto hello = online.next_message(kWait);
  REQUIRE(hello);
  CHECK(hello->payload == "hello all");

  CHECK(h.http.request("POST", "/v1/messages", R"({"group":"nope","payload":"x"})").status == 404);
  CHECK(h.http.request("POST", "/v1/messages", R"({"all":false,"payload":"x"})").status == 400);
  for (const char* bad :
       {R"({"group":"hall","devices":["fan-1"],"payload":"x"})", R"({"payload":"x"})",
        R"({"devices":[],"payload":"x"})", R"({"devices":[7],"payload":"x"})",
        R"({"group":"hall"})", R"({"group":"hall","payload":"x","idempotency_key":"k"})", "["}) {
    CAPTURE(bad);
    CHECK(h.http.request("POST", "/v1/messages", bad).status == 400);
  }
}

TEST_CASE("11.3 groups: devices join and leave groups themselves unless the server denies it") {
  Harness h;
  TestDevice device(h.device_options("panel-1"));
  device.connect_and_open();
  REQUIRE(device.subscribe({"room-7", "room-8"}) == protocol::SendStatus::Sent);
  REQUIRE(
      device.pump_until(now_ms() + kWait, [&] { return !device.group_confirmations().empty(); }));
  CHECK(h.http.request("GET", "/v1/groups/room-7").json()["size"] == 1);
  REQUIRE(device.subscribe({"room-8"}, false) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait,
                            [&] { return device.group_confirmations().size() == 2; }));
  CHECK(h.http.request("GET", "/v1/groups/room-8").status == 404);

  Harness denied({"--set", "session.device_groups=deny"});
  TestDevice refused(denied.device_options("panel-2"));
  refused.connect_and_open();
  REQUIRE(refused.subscribe({"room-7"}) == protocol::SendStatus::Sent);
  REQUIRE(refused.pump_until(now_ms() + kWait, [&] { return !refused.errors().empty(); }));
  CHECK(refused.errors()[0].reason == Reason::UnexpectedMessage);
  CHECK(refused.group_confirmations().empty());
  CHECK(refused.is_open());
  CHECK(denied.http.request("GET", "/v1/groups/room-7").status == 404);
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("11.4 groups: membership survives kill -9 and a restart") {
  Harness h;
  for (const char* device : {"pump-1", "pump-2"})
    REQUIRE(h.http.request("PUT", std::string("/v1/groups/station/members/") + device).status ==
            201);
  REQUIRE(h.http.request("DELETE", "/v1/groups/station/members/pump-2").status == 200);
  h.kited.kill9();
  h.kited.restart();
  h.reattach();
  auto group = h.http.request("GET", "/v1/groups/station");
  REQUIRE(group.status == 200);
  CHECK(group.json()["size"] == 1);
  CHECK(group.json()["members"][0]["device"] == "pump-1");
}

}  // namespace kite::it
