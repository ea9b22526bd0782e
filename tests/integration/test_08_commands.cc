// Commands: POST /v1/devices/{id}/commands waits for the device's reply and returns it; a device
// that does not reply is a 504, an offline one a 409, bad bodies a 400.
#include <future>

#include "harness.h"

namespace kite::it {
namespace {

// Runs the POST on its own thread (the client blocks) while `devices` are driven here, and
// returns its answer.
HttpResponse command_while_pumping(const Harness& h, const std::string& device,
                                   const nlohmann::json& body, std::vector<TestDevice*> devices) {
  HttpClient client(h.kited.admin_port(), kAdminToken);
  auto answer = std::async(std::launch::async, [&] {
    return client.request("POST", "/v1/devices/" + device + "/commands", body.dump());
  });
  const Millis deadline = now_ms() + 2 * kWait;
  while (answer.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready &&
         now_ms() < deadline) {
    pump_devices(devices, 5, [] { return false; });
  }
  return answer.get();
}

}  // namespace

TEST_CASE("08.1 commands: a round trip returns the device's reply") {
  Harness h;
  TestDevice device(h.device_options("valve-1"));
  device.connect_and_open();
  auto answer = command_while_pumping(
      h, "valve-1", {{"name", "set_target"}, {"payload", "21.5"}, {"timeout_ms", 3000}}, {&device});
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  auto body = answer.json();
  CHECK(body["status"] == 0);
  CHECK(body["payload"] == "set_target:21.5");
  CHECK(body["payload_base64"].is_string());
  REQUIRE(device.commands().size() == 1);
  CHECK(device.commands()[0].first == "set_target");

  // Bytes too, and a second command on the same connection.
  auto binary =
      command_while_pumping(h, "valve-1", {{"name", "blob"}, {"payload_base64", "AP8"}}, {&device});
  REQUIRE(binary.status == 200);
  CHECK(binary.json()["payload_base64"] == "YmxvYjoA_w");  // "blob:" + 0x00 0xff
  CHECK_FALSE(binary.json().contains("payload"));          // not UTF-8
}

TEST_CASE("08.2 commands: a device that does not reply is a 504 after the timeout") {
  Harness h;
  auto options = h.device_options("mute-1");
  options.reply_to_commands = false;
  TestDevice device(options);
  device.connect_and_open();
  const Millis started = now_ms();
  auto answer =
      command_while_pumping(h, "mute-1", {{"name", "reboot"}, {"timeout_ms", 300}}, {&device});
  CHECK(answer.status == 504);
  CHECK(answer.json()["title"] == "Command timed out");
  CHECK(now_ms() - started >= 300);
  CHECK(device.commands().size() == 1);  // it did arrive
  CHECK(device.is_open());
}

TEST_CASE("08.3 commands: offline, disconnecting and bad requests get clear answers") {
  Harness h;
  auto offline = h.http.request("POST", "/v1/devices/nobody-1/commands", R"({"name":"ping"})");
  CHECK(offline.status == 409);
  CHECK(offline.json()["title"] == "Device offline");

  // The device goes away while the command waits: 409, not a timeout.
  auto options = h.device_options("leaving-1");
  options.reply_to_commands = false;
  TestDevice leaving(options);
  leaving.connect_and_open();
  HttpClient client(h.kited.admin_port(), kAdminToken);
  auto answer = std::async(std::launch::async, [&] {
    return client.request("POST", "/v1/devices/leaving-1/commands",
                          R"({"name":"ping","timeout_ms":20000})");
  });
  REQUIRE(leaving.pump_until(now_ms() + kWait, [&] { return !leaving.commands().empty(); }));
  leaving.close();
  REQUIRE(answer.wait_for(std::chrono::milliseconds(kWait)) == std::future_status::ready);
  CHECK(answer.get().status == 409);

  for (const char* bad : {"{", R"({"payload":"x"})", R"({"name":""})", R"({"name":7})",
                          R"({"name":"x","timeout_ms":0})", R"({"name":"x","timeout_ms":999999})",
                          R"({"name":"x","payload":"a","payload_base64":"YQ"})"}) {
    CAPTURE(bad);
    auto response = h.http.request("POST", "/v1/devices/valve-1/commands", bad);
    CHECK(response.status == 400);
    CHECK(response.json()["title"] == "Invalid command");
  }
  auto no_token = h.http.request("POST", "/v1/devices/valve-1/commands", R"({"name":"x"})", false);
  CHECK(no_token.status == 401);
}

}  // namespace kite::it
