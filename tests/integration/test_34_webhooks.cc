// Webhooks ([[webhooks]], docs/webhooks.md): kited POSTs the event log to a receiver, signed, in
// order per device, at least once, through a receiver that fails, stalls and hangs up, and
// through kill -9; over HTTPS only to a receiver whose certificate verifies.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "tls_fixture.h"
#include "webhook_test_helpers.h"

namespace kite::it {

TEST_CASE("34.1 webhooks: 500s, slow answers, hang-ups and kill -9 lose nothing; order holds") {
  test::TempDir dir;
  WebhookReceiver receiver(kSecret);
  receiver.set_mode(WebhookReceiver::Mode::Fail500);
  const std::string config =
      write_config(dir, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  Harness h({"--config", config});

  publish_round(h, 1, 10);  // devices are never held up by the receiver
  REQUIRE(wait_for([&] { return receiver.counts().answered_500 >= 5; }, kWait));
  receiver.set_mode(WebhookReceiver::Mode::Slow, 700);  // beyond timeout_ms: every attempt fails
  const int answered_500 = receiver.counts().answered_500;
  REQUIRE(wait_for(
      [&] {
        return metric(h, "kite_webhook_failed_attempts_total{webhook=\"it\"}") >= answered_500;
      },
      kWait));
  CHECK(metric(h, "kite_webhook_delivered_events_total{webhook=\"it\"}") == 0);
  publish_round(h, 11, 15);
  REQUIRE(wait_for([&] { return receiver.counts().answered_slow >= 2; }, kWait));
  receiver.set_mode(WebhookReceiver::Mode::Slow, 300);  // near the timeout: delivered, slowly
  REQUIRE(wait_for([&] { return unique_count(receiver) >= 10; }, kLongWait));
  receiver.set_mode(WebhookReceiver::Mode::Close);  // reads the request, hangs up
  publish_round(h, 16, 20);
  REQUIRE(wait_for([&] { return receiver.counts().closed >= 3; }, kWait));
  CHECK(wait_log(h.kited, "closed by the receiver"));

  h.kited.kill9();  // with a batch in flight and most events unsent
  h.kited.restart();
  h.reattach();
  publish_round(h, 21, 30);
  receiver.set_mode(WebhookReceiver::Mode::Ok);
  REQUIRE(wait_for([&] { return unique_count(receiver) >= kDevices * 30; }, kLongWait));
  check_all_in_order(receiver, 30);
  CHECK(receiver.counts().bad_signatures == 0);
  CHECK(wait_for([&] { return metric(h, "kite_webhook_lag_events{webhook=\"it\"}") == 0; }, kWait));
  CHECK(metric(h, "kite_webhook_dead_lettered_events_total{webhook=\"it\"}") == 0);
}

TEST_CASE("34.2 webhooks over HTTPS: a receiver certificate from ca_file verifies, by name") {
  TlsPki pki("hook");
  test::TempDir dir;
  WebhookReceiver receiver(kSecret, pki.server.certificate, pki.server.key);
  // By name: SNI and the certificate's DNS name are checked (localhost may resolve to ::1
  // first, where nothing listens: the next address is tried).
  const std::string config =
      write_config(dir, "https://localhost:" + std::to_string(receiver.port()) + "/hook",
                   "ca_file = \"" + pki.ca.ca_file() + "\"\n");
  Harness h({"--config", config});
  publish_round(h, 1, 12);
  REQUIRE(wait_for([&] { return unique_count(receiver) >= kDevices * 12; }, kLongWait));
  check_all_in_order(receiver, 12);
  CHECK(receiver.counts().bad_signatures == 0);
  CHECK(metric(h, "kite_webhook_failed_attempts_total{webhook=\"it\"}") == 0);
  CHECK(metric(h, "kite_webhook_delivered_events_total{webhook=\"it\"}") == kDevices * 12);
}

TEST_CASE("34.3 webhooks over HTTPS: a certificate that does not verify gets nothing") {
  TlsPki pki("hook");
  test::TempDir dir;
  WebhookReceiver receiver(kSecret, pki.server.certificate, pki.server.key);
  // Trusting another CA: the receiver's certificate does not lead to it.
  const std::string config =
      write_config(dir, "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook",
                   "ca_file = \"" + pki.other_ca.ca_file() + "\"\n");
  Harness h({"--config", config});
  publish_round(h, 1, 3);
  REQUIRE(wait_for(
      [&] { return metric(h, "kite_webhook_failed_attempts_total{webhook=\"it\"}") >= 3; }, kWait));
  CHECK(wait_log(h.kited, "certificate does not verify"));
  CHECK(receiver.counts().requests == 0);
  CHECK(receiver.events().empty());
  CHECK(metric(h, "kite_webhook_delivered_events_total{webhook=\"it\"}") == 0);
}

TEST_CASE("34.4 webhooks: types, devices and groups choose the events sent") {
  test::TempDir dir;
  WebhookReceiver receiver(kSecret);
  // hook-dev-0 by id, hook-dev-1 by group; hook-dev-2 and -3 are in neither.
  const std::string config =
      write_config(dir, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook",
                   "devices = [\"hook-dev-0\", \"hook-dev-1\"]\ngroups = [\"floor-1\"]\n");
  Harness h({"--config", config});
  // devices AND groups: of the two devices named, only the one in the group.
  REQUIRE(h.http.request("PUT", "/v1/groups/floor-1/members/hook-dev-1").status == 201);
  REQUIRE(h.http.request("PUT", "/v1/groups/floor-1/members/hook-dev-2").status == 201);
  publish_round(h, 1, 5);
  REQUIRE(wait_for([&] { return unique_count(receiver) >= 5; }, kLongWait));
  // The events after the last of hook-dev-1's: long enough for any stray event to have come too.
  REQUIRE(
      wait_for([&] { return metric(h, "kite_webhook_lag_events{webhook=\"it\"}") == 0; }, kWait));
  const auto received = first_appearances(receiver);
  REQUIRE(received.size() == 1);
  CHECK(received.begin()->first == "hook-dev-1");
  CHECK(received.begin()->second == std::vector<int>{1, 2, 3, 4, 5});
  for (const auto& event : receiver.events()) CHECK(event["type"] == "uplink");  // no connects
}

TEST_CASE(
    "34.5 webhooks: a batch failing max_attempts times is dead-lettered, then delivery goes on") {
  test::TempDir dir;
  WebhookReceiver receiver(kSecret);
  receiver.set_mode(WebhookReceiver::Mode::Fail500);
  const std::string config = write_config(
      dir, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook", "max_attempts = 3\n");
  Harness h({"--config", config});
  TestDevice device(h.device_options("hook-dev-0"));
  device.connect_and_open();
  publish_acked(device, 1, 4);
  REQUIRE(wait_for(
      [&] { return metric(h, "kite_webhook_dead_lettered_events_total{webhook=\"it\"}") >= 4; },
      kWait));
  CHECK(wait_log(h.kited, "webhook.dead_lettered"));
  receiver.set_mode(WebhookReceiver::Mode::Ok);
  publish_acked(device, 5, 6);
  REQUIRE(wait_for([&] { return unique_count(receiver) >= 2; }, kWait));
  const auto received = first_appearances(receiver);
  CHECK(received.at("hook-dev-0") == std::vector<int>{5, 6});
  CHECK(metric(h, "kite_webhook_dead_lettered_events_total{webhook=\"it\"}") == 4);
  // Every batch dead-lettered after exactly max_attempts failures; none failed since.
  const auto failed =
      static_cast<int>(metric(h, "kite_webhook_failed_attempts_total{webhook=\"it\"}"));
  CHECK(failed >= 3);
  CHECK(failed % 3 == 0);
}

TEST_CASE("34.6 webhooks: events retention dropped before they were sent are counted as missed") {
  test::TempDir dir;
  WebhookReceiver receiver(kSecret);
  receiver.set_mode(WebhookReceiver::Mode::Fail500);
  const std::string config =
      write_config(dir, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  Harness h({"--config", config, "--set", "events.retention_events=10"});
  TestDevice device(h.device_options("hook-dev-0"));
  device.connect_and_open();
  publish_acked(device, 1, 40);  // the log keeps the newest 10
  REQUIRE(wait_for([&] { return receiver.counts().answered_500 >= 2; }, kWait));
  receiver.set_mode(WebhookReceiver::Mode::Ok);
  REQUIRE(wait_for(
      [&] { return metric(h, "kite_webhook_missed_events_total{webhook=\"it\"}") > 0; }, kWait));
  CHECK(wait_log(h.kited, "webhook.missed_events"));
  // What was delivered is in order, ends with the newest uplink, and with the missed ones
  // accounts for every event after the batch that was in flight.
  REQUIRE(
      wait_for([&] { return metric(h, "kite_webhook_lag_events{webhook=\"it\"}") == 0; }, kWait));
  const auto received = first_appearances(receiver);
  const std::vector<int>& numbers = received.at("hook-dev-0");
  CHECK(std::is_sorted(numbers.begin(), numbers.end()));
  CHECK(numbers.back() == 40);
  CHECK(numbers.size() + metric(h, "kite_webhook_missed_events_total{webhook=\"it\"}") >= 40 - 10);
}

}  // namespace kite::it
