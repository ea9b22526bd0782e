// examples/push-fallback: the consumer-group reader that turns `undelivered` events into calls to
// a mobile push provider. Here the provider is a local HTTP receiver the test starts (no real one
// is reachable); it refuses the first pushes, and the example retries until one is accepted,
// then acknowledges, so each undelivered message is pushed and nothing is skipped.
#include <csignal>
#include <fstream>

#include "child_process.h"
#include "harness.h"
#include "webhook_receiver.h"

namespace kite::it {

TEST_CASE("37.1 push-fallback: an undelivered message becomes one push to the provider") {
  Harness h({"--set", "store.sweep_interval_ms=100"});
  WebhookReceiver provider("not-a-webhook");
  provider.set_mode(WebhookReceiver::Mode::Fail500);
  const auto tokens = h.kited.dir() / "push-tokens.json";
  std::ofstream(tokens) << R"({"phone-7": "push-token-of-phone-7"})";
  const std::string api = "http://127.0.0.1:" + std::to_string(h.kited.admin_port());
  const std::string push_url =
      "http://127.0.0.1:" + std::to_string(provider.port()) + "/v1/projects/demo/messages:send";
  ChildProcess reader(
      "push-fallback", "/usr/bin/env",
      {std::string("KITE_ADMIN_TOKEN=") + kAdminToken, "PUSH_API_TOKEN=provider-key", "python3",
       PUSH_FALLBACK_PATH, "--kite", api, "--push-url", push_url, "--device-tokens",
       tokens.string(), "--member", "m1", "--wait", "1"});
  REQUIRE(reader.wait_err("push-fallback: reading", kWait));

  auto sent = h.send_ok("phone-7", "you have mail", {{"fallback_after_ms", 200}});
  h.send_ok("phone-8", "no token for this one", {{"fallback_after_ms", 200}});
  // Refused first: the example retries rather than skip the event.
  const Millis refused_deadline = now_ms() + kWait;
  while (provider.counts().answered_500 < 1 && now_ms() < refused_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace
  REQUIRE(provider.counts().answered_500 >= 1);
  provider.set_mode(WebhookReceiver::Mode::Ok);
  REQUIRE(reader.wait_err("push-fallback: pushed", kWait));
  REQUIRE(reader.wait_err("no push token", kWait));

  const auto pushes = provider.requests();
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].head.rfind("POST /v1/projects/demo/messages:send ", 0) == 0);
  CHECK(pushes[0].head.find("Authorization: Bearer provider-key") != std::string::npos);
  const auto& message = pushes[0].body["message"];
  CHECK(message["token"] == "push-token-of-phone-7");
  CHECK(message["data"]["kite_device"] == "phone-7");
  CHECK(message["data"]["kite_message_id"] == sent["id"]);

  // It acknowledged what it handled: the group has nothing pending.
  const Millis acked_deadline = now_ms() + kWait;
  auto groups = h.http.request("GET", "/v1/event-groups").json();
  while (groups["groups"][0]["lag"] != 0 && now_ms() < acked_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling pace
    groups = h.http.request("GET", "/v1/event-groups").json();
  }
  INFO(groups.dump());
  CHECK(groups["groups"][0]["name"] == "push-fallback");
  CHECK(groups["groups"][0]["lag"] == 0);
  reader.signal(SIGTERM);
  CHECK(reader.wait_exit(kWait) == 0);
}

}  // namespace kite::it
