// Message status: GET /v1/messages/{id} follows a stored message from queued to its end state.
#include "harness.h"

namespace kite::it {
namespace {

nlohmann::json status_of(const Harness& h, const std::string& id) {
  auto response = h.http.request("GET", "/v1/messages/" + id);
  INFO("GET answer: " << response.status << " " << response.body);
  REQUIRE(response.status == 200);
  return response.json();
}

// Polls the status until it is `wanted`, driving `device` meanwhile (its acks must go out).
nlohmann::json wait_status(const Harness& h, const std::string& id, const std::string& wanted,
                           TestDevice* device = nullptr) {
  const Millis deadline = now_ms() + kWait;
  nlohmann::json body = status_of(h, id);
  while (body["status"] != wanted && now_ms() < deadline) {
    if (device) device->pump_until(now_ms() + 5, [] { return false; });
    body = status_of(h, id);
  }
  INFO("status: " << body.dump());
  CHECK(body["status"] == wanted);
  return body;
}

}  // namespace

TEST_CASE("35.1 message status: queued while offline, sent, then acked, with ordered times") {
  Harness h;
  auto answer = h.send_ok("status-1", "hello");
  const std::string id = answer["id"];
  auto queued = status_of(h, id);
  CHECK(queued["status"] == "queued");
  CHECK(queued["device"] == "status-1");
  CHECK(queued["seq"] == 1);
  CHECK(queued["queued_at"].get<std::uint64_t>() > 0);
  CHECK_FALSE(queued.contains("sent_at"));
  CHECK_FALSE(queued.contains("ended_at"));

  DeviceOptions options = h.device_options("status-1");
  options.auto_ack = false;  // held: the message stays sent until the test acks it
  TestDevice device(options);
  device.connect_and_open();
  auto received = device.next_message(kWait);
  REQUIRE(received.has_value());
  auto sent = wait_status(h, id, "sent", &device);
  CHECK_FALSE(sent.contains("ended_at"));

  device.acknowledge(received->seq);
  auto acked = wait_status(h, id, "acked", &device);
  const auto queued_at = acked["queued_at"].get<std::uint64_t>();
  const auto sent_at = acked["sent_at"].get<std::uint64_t>();
  const auto ended_at = acked["ended_at"].get<std::uint64_t>();
  CHECK(queued_at <= sent_at);
  CHECK(sent_at <= ended_at);
  CHECK(acked["id"] == id);
}

TEST_CASE("35.2 message status: a message conflated away is replaced") {
  Harness h;
  const std::string first = h.send_ok("status-2", "21.0", {{"key", "temperature"}})["id"];
  const std::string second = h.send_ok("status-2", "21.5", {{"key", "temperature"}})["id"];
  auto replaced = status_of(h, first);
  CHECK(replaced["status"] == "replaced");
  CHECK(replaced.contains("ended_at"));
  CHECK(status_of(h, second)["status"] == "queued");
}

TEST_CASE("35.3 message status: unknown ids are 404, malformed ones 400, with problem bodies") {
  Harness h;
  auto unknown = h.http.request("GET", "/v1/messages/abcdefghijklmnopqrstuvwxyz");
  CHECK(unknown.status == 404);
  CHECK(unknown.headers.find("application/problem+json") != std::string::npos);
  CHECK(unknown.json()["detail"].get<std::string>().find("status_window_ms") != std::string::npos);
  for (const char* bad : {"short", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxy1"}) {
    auto response = h.http.request("GET", std::string("/v1/messages/") + bad);
    INFO("id " << bad << ": " << response.body);
    CHECK(response.status == 400);
  }
  CHECK(h.http.request("GET", "/v1/messages/abcdefghijklmnopqrstuvwxyz", {}, false).status == 401);
}

TEST_CASE("35.4 message status: off with status_window_ms = 0, counted in /metrics when on") {
  Harness off({"--set", "store.status_window_ms=0"});
  const std::string id = off.send_ok("status-4", "x")["id"];
  auto response = off.http.request("GET", "/v1/messages/" + id);
  CHECK(response.status == 404);
  CHECK(response.json()["title"] == "Message status is off");

  Harness on;
  on.send_ok("status-4", "x");
  CHECK(metric(on, "kite_message_status_entries") == 1);
  CHECK(metric(on, "kite_message_status_untracked_total") == 0);
}

TEST_CASE("35.5 message status: past store.status_max_entries new messages are not tracked") {
  Harness h({"--set", "store.status_max_entries=2"});
  h.send_ok("status-5", "a");
  h.send_ok("status-5", "b");
  const std::string third = h.send_ok("status-5", "c")["id"];
  auto response = h.http.request("GET", "/v1/messages/" + third);
  CHECK(response.status == 404);
  CHECK(response.json()["detail"].get<std::string>().find("status_max_entries") !=
        std::string::npos);
  CHECK(metric(h, "kite_message_status_untracked_total") == 1);
}

TEST_CASE("35.6 message status: a message whose TTL passed unsent is expired") {
  Harness h({"--set", "store.sweep_interval_ms=100"});
  const std::string id = h.send_ok("status-6", "soon stale", {{"ttl_ms", 200}})["id"];
  CHECK(status_of(h, id)["status"] == "queued");
  auto expired = wait_status(h, id, "expired");
  CHECK(expired["ended_at"].get<std::uint64_t>() >= expired["queued_at"].get<std::uint64_t>());
}

TEST_CASE("35.7 message status: a fallback that cancels drops the message, reason cancelled") {
  Harness h({"--set", "store.sweep_interval_ms=100"});
  const std::string id =
      h.send_ok("status-7", "ring", {{"fallback_after_ms", 200}, {"fallback", "cancel"}})["id"];
  auto dropped = wait_status(h, id, "dropped");
  CHECK(dropped["reason"] == "cancelled");
}

}  // namespace kite::it
