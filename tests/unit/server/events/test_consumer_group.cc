// ConsumerGroup against a simulated log: each event to one member, a device's events to one
// member, cumulative acks, members that go away or go silent lose their events to another, and a
// group reloaded from its saved cursors resumes after them.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "events/consumer_group.h"

namespace kite::server::events {
namespace {

struct LogEvent {
  std::uint64_t id;
  std::string device;
};

// 20 devices, `count` events round-robin, ids from 1.
std::vector<LogEvent> make_log(std::size_t count) {
  std::vector<LogEvent> log;
  for (std::size_t i = 0; i < count; ++i)
    log.push_back({i + 1, "device-" + std::to_string(i % 20)});
  return log;
}

// One read of `member`, as the event hub does it: from read_after(), at most `limit` events.
std::vector<LogEvent> read(ConsumerGroup& group, const std::string& member,
                           const std::vector<LogEvent>& log, std::size_t limit,
                           std::int64_t now_ms) {
  std::vector<LogEvent> out;
  const auto after = group.read_after(member);
  if (!after) return out;
  std::uint64_t through = *after;
  for (const auto& event : log) {
    if (event.id <= *after) continue;
    if (out.size() == limit) break;
    through = event.id;
    if (group.wants(member, event.id, event.device)) out.push_back(event);
  }
  std::vector<std::pair<std::uint64_t, std::string_view>> given;
  for (const auto& event : out) given.emplace_back(event.id, event.device);
  group.given(member, through, given, now_ms);
  return out;
}

}  // namespace

TEST_CASE("partitions are FNV-1a of the device id: the same in every run and build") {
  CHECK(ConsumerGroup::partition_of("") == 14695981039346656037ull % 64);
  CHECK(ConsumerGroup::partition_of("a") == 0xaf63dc4c8601ec8cull % 64);
}

TEST_CASE("two members share the events: each once, a device's events all to one member") {
  ConsumerGroup group("billing", 0);
  group.attach("m1", 0);
  group.attach("m2", 0);
  const auto log = make_log(1000);
  std::map<std::uint64_t, std::string> handled_by;
  std::map<std::string, std::set<std::string>> members_of_device;
  for (int round = 0; round < 20; ++round) {
    for (const char* member : {"m1", "m2"}) {
      auto events = read(group, member, log, 64, round);
      for (const auto& event : events) {
        CHECK(handled_by.emplace(event.id, member).second);  // never given twice
        members_of_device[event.device].insert(member);
      }
      if (!events.empty()) group.ack(member, events.back().id, round);
    }
  }
  CHECK(handled_by.size() == 1000);
  for (const auto& [device, members] : members_of_device) CHECK(members.size() == 1);
  CHECK(group.lowest_acked() == 1000);
  CHECK(group.take_changed());
  CHECK(!group.take_changed());
  const auto members = group.members();
  REQUIRE(members.size() == 2);
  CHECK(members[0].partitions + members[1].partitions == ConsumerGroup::kPartitions);
  CHECK(members[0].partitions == ConsumerGroup::kPartitions / 2);
}

TEST_CASE("a member that goes away: what it held unacknowledged goes to the other, in order") {
  ConsumerGroupTimeouts timeouts{30'000, 5'000};
  ConsumerGroup group("g", 0, timeouts);
  group.attach("m1", 0);
  group.attach("m2", 0);
  const auto log = make_log(200);
  auto m1_events = read(group, "m1", log, 1000, 0);
  auto m2_events = read(group, "m2", log, 1000, 0);
  REQUIRE(!m1_events.empty());
  group.ack("m2", m2_events.back().id, 0);
  group.detach("m1", 100);  // m1 crashed without acknowledging anything
  group.tick(2'000);
  CHECK(group.members().size() == 2);  // within member_ms it may come back
  group.tick(6'000);
  REQUIRE(group.members().size() == 1);
  CHECK(group.redelivered() > 0);
  auto again = read(group, "m2", log, 1000, 6'000);
  std::vector<std::uint64_t> expected, got;
  for (const auto& event : m1_events) expected.push_back(event.id);
  for (const auto& event : again) got.push_back(event.id);
  CHECK(got == expected);  // all of them, in id order: per-device order holds
  group.ack("m2", again.back().id, 6'000);
  CHECK(group.lowest_acked() == 200);
}

TEST_CASE("a silent member loses its events after the visibility timeout") {
  ConsumerGroup group("g", 0, {1'000, 60'000});
  group.attach("slow", 0);
  group.attach("fast", 0);
  const auto log = make_log(100);
  auto held = read(group, "slow", log, 1000, 0);
  REQUIRE(!held.empty());
  group.tick(500);
  CHECK(read(group, "fast", log, 1000, 500).size() == 100 - held.size());
  group.ack("fast", 100, 500);
  group.tick(1'600);  // slow never acknowledged: its partitions go to fast
  auto redone = read(group, "fast", log, 1000, 1'600);
  CHECK(redone.size() == held.size());
  CHECK(redone.front().id == held.front().id);
  group.ack("slow", 100, 1'700);  // too late: not its partitions any more
  CHECK(group.ack("fast", 100, 1'700) == 100);
  CHECK(group.lowest_acked() == 100);
}

TEST_CASE("alone and silent, a member is given its events again") {
  ConsumerGroup group("g", 0, {1'000, 60'000});
  group.attach("only", 0);
  const auto log = make_log(10);
  CHECK(read(group, "only", log, 1000, 0).size() == 10);
  CHECK(read(group, "only", log, 1000, 10).empty());
  group.tick(1'100);
  CHECK(read(group, "only", log, 1000, 1'100).size() == 10);
}

TEST_CASE("a joining member takes only partitions with nothing in flight") {
  ConsumerGroup group("g", 0);
  group.attach("m1", 0);
  const auto log = make_log(40);  // 20 devices in at most 20 partitions
  auto held = read(group, "m1", log, 1000, 0);
  CHECK(held.size() == 40);
  group.attach("m2", 1);
  std::set<std::size_t> busy;
  for (const auto& event : held) busy.insert(ConsumerGroup::partition_of(event.device));
  for (const auto& event : log)  // m2 wants none of m1's events in flight
    CHECK(!group.wants("m2", event.id, event.device));
  const auto members = group.members();
  REQUIRE(members.size() == 2);
  CHECK(members[1].name == "m2");
  // Balanced (32 each) as far as quiet partitions allow: the busy ones all stay with m1.
  CHECK(members[1].partitions ==
        std::min(ConsumerGroup::kPartitions / 2, ConsumerGroup::kPartitions - busy.size()));
  group.ack("m1", 40, 2);
  group.tick(3);  // m1's partitions are quiet now: the group balances
  CHECK(group.members()[0].partitions == ConsumerGroup::kPartitions / 2);
}

TEST_CASE("a group reloaded from its cursors gives only what was not acknowledged") {
  ConsumerGroup::Cursors saved{};
  const auto log = make_log(100);
  {
    ConsumerGroup group("g", 0);
    group.attach("m", 0);
    auto first = read(group, "m", log, 30, 0);
    group.ack("m", first.back().id, 0);
    read(group, "m", log, 30, 1);  // given, never acknowledged: the server stops
    saved = group.acked();
  }
  ConsumerGroup reloaded("g", saved);
  reloaded.attach("m", 10);
  auto rest = reloaded.read_after("m");
  REQUIRE(rest);
  CHECK(*rest == 30);
  CHECK(read(reloaded, "m", log, 1000, 10).size() == 70);
}

}  // namespace kite::server::events

namespace kite::server::events {

TEST_CASE("a group's state as bytes: a cluster node reloads it and goes on where another stopped") {
  const auto log = make_log(200);
  ConsumerGroup group("shared", 0, {1000, 1000});
  group.attach("a", 0);
  group.attach("b", 0);
  const auto first = read(group, "a", log, 50, 10);
  REQUIRE(!first.empty());
  group.ack("a", first.back().id, 20);

  auto reloaded = ConsumerGroup::decode("shared", group.encode(), {1000, 1000});
  REQUIRE(reloaded);
  CHECK(reloaded->encode() == group.encode());
  CHECK(reloaded->acked() == group.acked());
  CHECK(reloaded->read_after("a") == group.read_after("a"));
  CHECK(reloaded->read_after("b") == group.read_after("b"));
  // Attachments are the node's own: reloaded, a member lives on its last read (touch()).
  for (const auto& member : reloaded->members()) CHECK(!member.attached);
  reloaded->touch("a", 900);
  reloaded->tick(1500);  // b read last at 0: gone; a touched at 900: still a member
  CHECK(reloaded->is_member("a"));
  CHECK(!reloaded->is_member("b"));
  // What b was given and did not ack goes to a, after a's own: nothing skipped.
  std::set<std::uint64_t> seen;
  for (const auto& event : first) seen.insert(event.id);
  for (int round = 0; round < 10; ++round) {
    const auto more = read(*reloaded, "a", log, 50, 1600 + round);
    for (const auto& event : more) seen.insert(event.id);
    if (!more.empty()) reloaded->ack("a", more.back().id, 1600 + round);
  }
  CHECK(seen.size() == log.size());
}

TEST_CASE("a group's state as bytes: what is not one is refused") {
  ConsumerGroup group("g", 5, {});
  group.attach("m", 0);
  const std::string bytes = group.encode();
  CHECK(ConsumerGroup::decode("g", bytes, {}));
  CHECK(!ConsumerGroup::decode("g", "", {}));
  CHECK(!ConsumerGroup::decode("g", bytes.substr(0, bytes.size() - 1), {}));  // cut short
  CHECK(!ConsumerGroup::decode("g", bytes + "x", {}));                        // trailing bytes
  std::string version = bytes;
  version[0] = 2;
  CHECK(!ConsumerGroup::decode("g", version, {}));
  std::string stranger = bytes;  // partition 0 owned by a name that is not a member
  const std::size_t owner_at = 1 + 8 + 24;
  REQUIRE(stranger.substr(owner_at + 2, 1) == "m");
  stranger[owner_at + 2] = 'x';
  CHECK(!ConsumerGroup::decode("g", stranger, {}));
}

}  // namespace kite::server::events
