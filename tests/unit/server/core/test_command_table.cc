// CommandTable: every command ends exactly once, by the reply of its own connection, its
// deadline, its connection's close, or its HTTP client going away.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "core/command_table.h"

using namespace kite::server;
using Kind = CommandOutcome::Kind;

TEST_CASE("a command ends once: by its own connection's reply, its deadline, or the close") {
  CommandTable table;
  std::vector<std::pair<std::uint64_t, CommandOutcome>> ended;
  auto record = [&](std::uint64_t id) {
    return [&ended, id](CommandOutcome outcome) { ended.emplace_back(id, std::move(outcome)); };
  };
  const auto a = table.next_id(), b = table.next_id(), c = table.next_id();
  CHECK(a != 0);
  CHECK(a != b);
  table.add(a, /*connection=*/7, /*deadline=*/100, record(a));
  table.add(b, 7, 200, record(b));
  table.add(c, 8, 50, record(c));

  CHECK_FALSE(table.reply(a, /*connection=*/8, 0, "wrong connection"));
  CHECK(table.reply(a, 7, 3, "ok"));
  CHECK_FALSE(table.reply(a, 7, 0, "again"));  // already ended
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].second.kind == Kind::Replied);
  CHECK(ended[0].second.status == 3);
  CHECK(ended[0].second.payload == "ok");

  table.expire(99);  // c (deadline 50) times out; b (200) waits; a's deadline ended with it
  REQUIRE(ended.size() == 2);
  CHECK(ended[1].first == c);
  CHECK(ended[1].second.kind == Kind::TimedOut);

  table.connection_closed(7);
  REQUIRE(ended.size() == 3);
  CHECK(ended[2].first == b);
  CHECK(ended[2].second.kind == Kind::Offline);
  table.expire(1'000);
  CHECK(ended.size() == 3);
  CHECK(table.size() == 0);
}

TEST_CASE("a done callback may add the next command") {
  CommandTable table;
  int runs = 0;
  const auto first = table.next_id();
  table.add(first, 1, 10, [&](CommandOutcome) {
    ++runs;
    table.add(table.next_id(), 1, 20, [&](CommandOutcome) { ++runs; });
  });
  table.expire(10);
  CHECK(runs == 1);
  CHECK(table.size() == 1);
  table.expire(20);
  CHECK(runs == 2);
}

TEST_CASE("commands are counted per connection; abandoned ones end at once") {
  CommandTable table;
  std::vector<std::pair<std::uint64_t, Kind>> ended;
  auto record = [&](std::uint64_t id) {
    return [&ended, id](CommandOutcome outcome) { ended.emplace_back(id, outcome.kind); };
  };
  auto kept = std::make_shared<CommandTicket>(), gone = std::make_shared<CommandTicket>();
  const auto a = table.next_id(), b = table.next_id(), c = table.next_id();
  table.add(a, 7, 100, record(a), kept);
  table.add(b, 7, 100, record(b), gone);
  table.add(c, 8, 100, record(c), gone);
  CHECK(table.count(7) == 2);
  CHECK(table.count(8) == 1);
  CHECK(table.count(9) == 0);

  gone->abandoned = true;
  table.drop_abandoned(7);  // only connection 7's: c waits for its own worker's sweep
  REQUIRE(ended.size() == 1);
  CHECK(ended[0] == std::pair{b, Kind::Abandoned});
  CHECK(table.count(7) == 1);
  CHECK(table.count(8) == 1);

  table.connection_closed(8);
  CHECK(table.count(8) == 0);
  table.expire(1'000);  // the ended commands' deadlines went with them
  REQUIRE(ended.size() == 3);
  CHECK(ended[2] == std::pair{a, Kind::TimedOut});
  CHECK(table.size() == 0);
}
