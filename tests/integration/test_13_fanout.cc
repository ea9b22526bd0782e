// Fan-out: POST /v1/messages with a batch of messages ("messages": [...]) to a group, QoS 0
// group sends (each message encoded once and shared by the members' connections), and the
// refusals of bad batches.
#include <memory>

#include "harness.h"

namespace kite::it {
namespace {

using nlohmann::json;

// Connects `count` devices named prefix-1.. and puts each in `group`.
std::vector<std::unique_ptr<TestDevice>> online_members(Harness& h, const std::string& prefix,
                                                        int count, const std::string& group) {
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (int i = 1; i <= count; ++i) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options(numbered(prefix, i))));
    devices.back()->connect_and_open();
    REQUIRE(
        h.http.request("PUT", "/v1/groups/" + group + "/members/" + numbered(prefix, i)).status ==
        201);
  }
  return devices;
}

std::vector<std::string> payloads(const std::vector<Received>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.payload);
  return out;
}

// Drives the devices for a while: whatever else arrives shows in their inboxes.
void settle(std::vector<std::unique_ptr<TestDevice>>& devices, int ms) {
  std::vector<TestDevice*> raw;
  for (auto& d : devices) raw.push_back(d.get());
  pump_devices(raw, ms, [] { return false; });
}

}  // namespace

TEST_CASE("13.1 fan-out: a batch of messages to a group arrives at every member in order") {
  Harness h;
  auto members = online_members(h, "lamp", 3, "hall");
  REQUIRE(h.http.request("PUT", "/v1/groups/hall/members/lamp-offline").status == 201);

  auto answer = h.http.request(
      "POST", "/v1/messages",
      R"({"group":"hall","messages":[{"payload":"one"},{"payload":"two","topic":"t"},)"
      R"({"payload":"three","qos":0},{"payload":"four"}]})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  const json body = answer.json();
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0]["summary"]["queued"] == 4);
  CHECK(body["messages"][0]["results"].size() == 4);
  CHECK(body["messages"][2]["summary"]["sent"] == 3);
  CHECK(body["messages"][2]["summary"]["dropped"] == 1);
  CHECK(body["summary"]["queued"] == 12);
  CHECK(body["summary"]["sent"] == 3);
  for (const auto& result : body["messages"][1]["results"]) {
    CHECK(result["status"] == "queued");
    CHECK(result["online"] == (result["device"] != "lamp-offline"));
  }

  const std::vector<std::string> expected{"one", "two", "three", "four"};
  for (auto& member : members) {
    CAPTURE(member->id());
    CHECK(payloads(member->take_messages(4, kWait)) == expected);
  }
  CHECK(h.http.device("lamp-offline")["queued"] == 3);  // QoS 1 kept, QoS 0 not

  // Each device's stored seqs follow the order of the batch.
  const auto& results = body["messages"];
  CHECK(results[0]["results"][0]["seq"].get<int>() < results[1]["results"][0]["seq"].get<int>());
  CHECK(results[1]["results"][0]["seq"].get<int>() < results[3]["results"][0]["seq"].get<int>());
}

TEST_CASE("13.2 fan-out: a QoS 0 group send reaches every online member exactly once") {
  Harness h;
  auto members = online_members(h, "meter", 6, "street");
  REQUIRE(h.http.request("PUT", "/v1/groups/street/members/meter-away").status == 201);

  auto single = h.http.request("POST", "/v1/messages",
                               R"({"group":"street","payload":"a","qos":0,"topic":"tick"})");
  REQUIRE(single.status == 200);
  CHECK(single.json()["summary"]["sent"] == 6);
  CHECK(single.json()["summary"]["dropped"] == 1);
  CHECK(single.json()["results"].size() == 7);

  auto burst = h.http.request("POST", "/v1/messages",
                              R"({"group":"street","report":"summary","messages":[)"
                              R"({"payload":"b","qos":0},{"payload":"c","qos":0},)"
                              R"({"payload_base64":"ZA","qos":0}]})");
  INFO(burst.body);
  REQUIRE(burst.status == 200);
  const json body = burst.json();
  CHECK(body["summary"]["sent"] == 18);
  CHECK(body["summary"]["dropped"] == 3);
  CHECK_FALSE(body["messages"][0].contains("results"));
  CHECK(body["messages"][2]["summary"]["sent"] == 6);

  const std::vector<std::string> expected{"a", "b", "c", "d"};
  for (auto& member : members) {
    CAPTURE(member->id());
    auto received = member->take_messages(4, kWait);
    CHECK(payloads(received) == expected);
    for (const auto& m : received) CHECK(m.qos == protocol::Qos::AtMostOnce);
  }
  settle(members, 200);  // nothing more arrives: no member got a frame twice
  for (auto& member : members) CHECK(member->inbox().empty());
  CHECK(h.http.device("meter-away")["queued"] == 0);
}

TEST_CASE("13.3 fan-out: bad batches are refused with a problem saying why") {
  Harness h({"--set", "admin.max_body_bytes=4194304"});
  TestDevice member(h.device_options("pole-1"));
  member.connect_and_open();
  REQUIRE(h.http.request("PUT", "/v1/groups/road/members/pole-1").status == 201);

  std::string too_many = R"({"group":"road","messages":[)";
  for (int i = 0; i < 257; ++i) too_many += std::string(i ? "," : "") + R"({"payload":"x"})";
  too_many += "]}";
  std::string too_big = R"({"group":"road","messages":[)";
  for (int i = 0; i < 5; ++i)
    too_big += std::string(i ? "," : "") + R"({"payload":")" + std::string(250'000, 'a') + "\"}";
  too_big += "]}";

  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"group":"road","messages":[]})", "\"messages\" must be a list of 1 to 256"},
      {too_many, "\"messages\" must be a list of 1 to 256"},
      {R"({"group":"road","messages":{"payload":"x"}})", "\"messages\" must be a list"},
      {R"({"group":"road","payload":"x","messages":[{"payload":"y"}]})", "not both"},
      {R"({"group":"road","qos":0,"messages":[{"payload":"y"}]})", "not both"},
      {R"({"group":"road","messages":[{"payload":"y"},{"payload":"z","qos":2}]})",
       "messages[1]: \"qos\" must be 0 or 1"},
      {R"({"group":"road","messages":[{"topic":"no payload"}]})", "messages[0]: give exactly one"},
      {R"({"group":"road","messages":["text"]})",
       "messages[0]: each message must be a JSON object"},
      {R"({"group":"road","messages":[{"payload":"y","idempotency_key":"k"}]})",
       "messages[0]: \"idempotency_key\" is per device"},
      {R"({"group":"road","report":"everything","payload":"y"})", "\"report\" must be"},
      {too_big, "add up to more than 1048576 bytes"},
  };
  for (const auto& [request, detail] : cases) {
    // INFO and CAPTURE are lambdas, and clang 14 cannot capture a structured binding.
    const auto& sent = request;
    CAPTURE(sent.substr(0, 120));
    auto answer = h.http.request("POST", "/v1/messages", request);
    CHECK(answer.status == 400);
    CHECK(answer.headers.find("application/problem+json") != std::string::npos);
    const json problem = answer.json();
    CHECK(problem["title"] == "Invalid message");
    CAPTURE(problem["detail"]);
    CHECK(problem["detail"].get<std::string>().find(detail) != std::string::npos);
  }
  // Nothing of a refused batch was sent or stored.
  CHECK(h.http.device("pole-1")["queued"] == 0);
  CHECK_FALSE(member.next_message(100));
}

}  // namespace kite::it
