// The server's Welcome fits the handshake limit whatever the device's groups: it lists those
// that fit with their total, and the rest follow as Subscribe announcements before anything else.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "session_pair.h"

using namespace kite;
using namespace kite::test;

namespace {

std::vector<std::string> long_groups(std::size_t count, std::size_t length) {
  std::vector<std::string> groups;
  for (std::size_t i = 0; i < count; ++i) {
    std::string name = "group-" + std::to_string(i) + "-";
    name.resize(length, 'x');
    groups.push_back(name);
  }
  return groups;
}

}  // namespace

TEST_CASE("welcome: 256 groups of 128 bytes open the session, and the client learns them all") {
  for (bool compressed : {false, true}) {
    CAPTURE(compressed);
    SessionPair pair;
    if (!compressed) pair.server_config.compression.threshold = static_cast<std::size_t>(-1);
    pair.server_events.welcome.groups = long_groups(256, protocol::limits::kGroupName);
    pair.connect();
    REQUIRE(pair.client->is_open());
    REQUIRE(pair.client_events.opened);
    CHECK(pair.client_events.opened->groups_total == 256);
    const auto& listed = pair.client_events.welcome_groups;
    CHECK(!listed.empty());
    CHECK(listed.size() < 256);
    std::set<std::string> learned(listed.begin(), listed.end());
    learned.insert(pair.client_events.groups_seen.begin(), pair.client_events.groups_seen.end());
    const auto& all = pair.server_events.welcome.groups;
    CHECK(learned == std::set<std::string>(all.begin(), all.end()));
    CHECK(listed.size() + pair.client_events.groups_seen.size() == 256);  // none twice
    for (auto id : pair.client_events.subscribe_ids)
      CHECK(id == protocol::limits::kGroupAnnouncement);
    CHECK(pair.server_events.opened->groups_total == 256);
  }
}

TEST_CASE("welcome: groups that fit are all listed, with nothing announced") {
  SessionPair pair;
  pair.server_events.welcome.groups = long_groups(40, 24);
  pair.connect();
  REQUIRE(pair.client->is_open());
  CHECK(pair.client_events.welcome_groups == pair.server_events.welcome.groups);
  CHECK(pair.client_events.opened->groups_total == 40);
  CHECK(pair.client_events.subscribe_ids.empty());
}

TEST_CASE("welcome: the announcements come before the first message of the open session") {
  SessionPair pair;
  pair.server_events.welcome.groups = long_groups(256, 100);
  pair.connect();
  REQUIRE(pair.client->is_open());
  const std::string payload = "after the groups";
  protocol::OutgoingMessage message;
  message.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  REQUIRE(pair.server->publish(message, pair.now) == protocol::SendStatus::Sent);
  pair.pump();
  REQUIRE(pair.client_events.payloads.size() == 1);
  CHECK(pair.client_events.welcome_groups.size() + pair.client_events.groups_seen.size() == 256);
}
