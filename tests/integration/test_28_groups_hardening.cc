// Groups under pressure: a device in the most groups with the longest names still connects and
// learns them all (28.1), group changes by devices are rate-limited and never stall the server
// (28.2), who may choose their own groups (28.3), and a token's groups last one session (28.4).
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "kite/protocol/token.h"

#include "harness.h"
#include "sdk_probe.h"

namespace kite::it {
namespace {

// "<prefix>-<i>-" padded with the letter x: a valid group name of exactly 128 bytes.
std::string long_group(const std::string& prefix, int i) {
  std::string name = numbered(prefix, i) + "-";
  name.resize(protocol::limits::kGroupName, 'x');
  return name;
}

std::vector<std::string> group_batch(const std::string& prefix) {
  std::vector<std::string> groups;
  for (int i = 0; i < static_cast<int>(protocol::limits::kGroupsPerRequest); ++i)
    groups.push_back(numbered(prefix, i));
  return groups;
}

}  // namespace

TEST_CASE("28.1 groups: a device in 256 groups of 128-byte names connects, resumes, learns all") {
  Harness h;
  const std::string id = "crowded-1";
  std::vector<std::string> groups;
  for (int i = 0; i < static_cast<int>(protocol::limits::kGroupsPerDevice); ++i) {
    groups.push_back(long_group("hall", i));
    REQUIRE(h.http.request("PUT", "/v1/groups/" + groups.back() + "/members/" + id).status == 201);
  }
  const std::set<std::string> expected(groups.begin(), groups.end());

  TestDevice device(h.device_options(id));
  device.connect_and_open();
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.groups().size() == 256; }));
  CHECK(device.groups() == expected);
  CHECK(device.groups_total() == 256);
  CHECK(device.welcome_groups() > 0);
  CHECK(device.welcome_groups() < 256);  // 256 x 128 bytes cannot fit the 8 KiB handshake
  CHECK(device.group_confirmations().empty());

  h.send_ok(id, "to the device");
  auto direct = device.next_message(kWait);
  REQUIRE(direct);
  CHECK(direct->payload == "to the device");
  auto sent =
      h.http.request("POST", "/v1/messages",
                     nlohmann::json{{"group", groups[200]}, {"payload", "to a group"}}.dump());
  REQUIRE(sent.status == 200);
  auto to_group = device.next_message(kWait);
  REQUIRE(to_group);
  CHECK(to_group->payload == "to a group");

  device.close();
  h.send_ok(id, "while away");
  device.connect_and_open(kWait, /*resume=*/true);
  CHECK(device.resumed());
  auto waiting = device.next_message(kWait);
  REQUIRE(waiting);
  CHECK(waiting->payload == "while away");
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.groups().size() == 256; }));
  CHECK(device.groups() == expected);
  device.close();

  // The SDK too: it connects and gets its messages (it takes the announcements in its stride).
  Client client(sdk_options(id, h.kited.device_port()));
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  h.send_ok(id, "to the sdk");
  REQUIRE(probe.wait([](const SdkRecord& r) { return !r.messages.empty(); }, kWait));
  CHECK(probe.snapshot().messages.back() == "to the sdk");
  CHECK(client.state() == State::Connected);
  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("28.2 groups: a device flooding Subscribe/Unsubscribe is throttled, others carry on") {
  // 1000 tokens a second, 64 at once: 20 frames of 32 groups are 640 tokens, about 0.58 s of debt.
  Harness h({"--set", "session.uplink_rate_per_s=1000", "--set", "session.uplink_burst=64"});
  TestDevice flooder(h.device_options("flood-1")), bystander(h.device_options("calm-1"));
  flooder.connect_and_open();
  bystander.connect_and_open();
  REQUIRE(metric(h, "kite_uplink_throttled_total") == 0);

  const auto groups = group_batch("churn");
  const Millis started = now_ms();
  for (int frame = 0; frame < 20; ++frame)
    REQUIRE(flooder.subscribe(groups, frame % 2 == 0) == protocol::SendStatus::Sent);
  // Meanwhile another device joins a group and gets a message without waiting for the flood.
  REQUIRE(bystander.subscribe({"quiet-room"}) == protocol::SendStatus::Sent);
  REQUIRE(bystander.pump_until(now_ms() + kWait,
                               [&] { return bystander.group_confirmations().size() == 1; }));
  h.send_ok("calm-1", "still served");
  auto message = bystander.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "still served");

  REQUIRE(flooder.pump_until(now_ms() + 2 * kWait,
                             [&] { return flooder.group_confirmations().size() == 20; }));
  // What the device sends next is read only once the debt is paid: (640 - 64) tokens at 1000 a
  // second from `started` (the bucket was full then).
  REQUIRE(flooder.subscribe({"one-more"}) == protocol::SendStatus::Sent);
  REQUIRE(flooder.pump_until(now_ms() + 2 * kWait,
                             [&] { return flooder.group_confirmations().size() == 21; }));
  CHECK(now_ms() - started >= 500);
  CHECK(metric(h, "kite_uplink_throttled_total") >= 1);
  CHECK(flooder.errors().empty());
  CHECK(flooder.is_open());
  CHECK(h.http.request("GET", "/v1/groups/churn-0").status == 404);  // the last frame left
}

TEST_CASE("28.3 groups: production refuses devices' own group changes; a prefix pattern limits") {
  {
    Harness production({"--mode", "production"});
    TestDevice device(production.device_options("acme-1"));
    device.connect_and_open();
    REQUIRE(device.subscribe({"admins"}) == protocol::SendStatus::Sent);
    REQUIRE(device.pump_until(now_ms() + kWait, [&] { return !device.errors().empty(); }));
    CHECK(device.errors()[0].reason == Reason::UnexpectedMessage);
    CHECK(device.errors()[0].ref == 1);
    CHECK(device.group_confirmations().empty());
    CHECK(device.is_open());
    CHECK(production.http.request("GET", "/v1/groups/admins").status == 404);
    // The backend still decides: the admin API puts the device in a group.
    CHECK(production.http.request("PUT", "/v1/groups/admins/members/acme-1").status == 201);
  }

  Harness h({"--set", "session.device_groups=prefix", "--set",
             "session.device_group_pattern=tenant-{device_prefix}-"});
  TestDevice acme(h.device_options("acme-0042")), globex(h.device_options("globex-7"));
  acme.connect_and_open();
  globex.connect_and_open();
  REQUIRE(acme.subscribe({"tenant-acme-floor-1", "tenant-acme-floor-2"}) ==
          protocol::SendStatus::Sent);
  REQUIRE(
      acme.pump_until(now_ms() + kWait, [&] { return acme.group_confirmations().size() == 1; }));
  CHECK(h.http.request("GET", "/v1/groups/tenant-acme-floor-1").json()["size"] == 1);

  // One group outside the prefix refuses the whole request: nothing of it is applied.
  REQUIRE(acme.subscribe({"tenant-acme-floor-3", "tenant-globex-floor-1"}) ==
          protocol::SendStatus::Sent);
  REQUIRE(acme.pump_until(now_ms() + kWait, [&] { return !acme.errors().empty(); }));
  CHECK(acme.errors()[0].reason == Reason::UnexpectedMessage);
  CHECK(acme.errors()[0].ref == 2);
  CHECK(h.http.request("GET", "/v1/groups/tenant-acme-floor-3").status == 404);
  CHECK(h.http.request("GET", "/v1/groups/tenant-globex-floor-1").status == 404);

  // Another tenant's device may neither join acme's groups nor make acme's devices leave them.
  REQUIRE(globex.subscribe({"tenant-acme-floor-1"}) == protocol::SendStatus::Sent);
  REQUIRE(globex.subscribe({"tenant-acme-floor-1"}, false) == protocol::SendStatus::Sent);
  REQUIRE(globex.pump_until(now_ms() + kWait, [&] { return globex.errors().size() == 2; }));
  CHECK(globex.group_confirmations().empty());
  auto floor = h.http.request("GET", "/v1/groups/tenant-acme-floor-1").json();
  CHECK(floor["size"] == 1);
  CHECK(floor["members"][0]["device"] == "acme-0042");

  REQUIRE(acme.subscribe({"tenant-acme-floor-1"}, false) == protocol::SendStatus::Sent);
  REQUIRE(
      acme.pump_until(now_ms() + kWait, [&] { return acme.group_confirmations().size() == 2; }));
  CHECK(h.http.request("GET", "/v1/groups/tenant-acme-floor-1").status == 404);
}

TEST_CASE("28.4 groups: a token's groups last its session only") {
  std::vector<std::uint8_t> token_key(32, 0x33);
  Harness h({"--set", "auth.token_key=" + std::string(64, '3')});
  const auto now_s = static_cast<std::uint64_t>(std::time(nullptr));
  auto options = h.device_options("player-1");
  options.method = protocol::AuthMethod::Token;
  options.token = protocol::mint_token(token_key, {"player-1", {"room-9"}, now_s, now_s + 600});
  {
    TestDevice player(options);
    player.connect_and_open();
    CHECK(player.groups() == std::set<std::string>{"room-9"});
    auto sent = h.http.request("POST", "/v1/messages", R"({"group":"room-9","payload":"in"})");
    REQUIRE(sent.status == 200);
    auto message = player.next_message(kWait);
    REQUIRE(message);
    CHECK(message->payload == "in");
    player.close();
  }
  auto gone = h.wait_device("player-1", [](const auto& b) { return b["online"] == false; });
  REQUIRE(gone["online"] == false);
  CHECK(h.http.request("GET", "/v1/groups/room-9").status == 404);

  // A later token without the group: not in it, and a send to it does not reach the device.
  options.token = protocol::mint_token(token_key, {"player-1", {}, now_s, now_s + 600});
  TestDevice player(options);
  player.connect_and_open();
  CHECK(player.groups().empty());
  CHECK(player.groups_total() == 0);
  CHECK(h.http.request("POST", "/v1/messages", R"({"group":"room-9","payload":"x"})").status ==
        404);
  CHECK(h.http.device("player-1")["queued"] == 0);

  // Still survives nothing: after a restart, the group is gone too.
  player.close();
  h.kited.kill9();
  h.kited.restart();
  h.reattach();
  CHECK(h.http.request("GET", "/v1/groups/room-9").status == 404);
}

}  // namespace kite::it
