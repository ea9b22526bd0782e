// BulkTargets hands a bulk send its devices a slice at a time (security review L11): every device
// exactly once, whatever the source and however the slices fall.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "api/bulk_report.h"
#include "api/bulk_targets.h"

namespace kite::server::api {
namespace {

std::string numbered(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "d-%05d", i);
  return id;
}

// Every slice until the end; checks that only the last one is short.
std::vector<std::string> drain(BulkTargets& targets, std::size_t limit) {
  std::vector<std::string> all;
  for (;;) {
    auto slice = targets.next(limit);
    CHECK(slice.size() <= limit);
    all.insert(all.end(), slice.begin(), slice.end());
    if (slice.size() < limit) return all;
  }
}

}  // namespace

TEST_CASE("a device list is handed out in slices, as given") {
  std::vector<std::string> devices{"c", "a", "b", "e", "d"};
  auto targets = BulkTargets::of_list(devices);
  CHECK(targets.expected() == 5);
  CHECK(targets.next(2) == std::vector<std::string>{"c", "a"});
  CHECK(drain(targets, 2) == std::vector<std::string>{"b", "e", "d"});
  CHECK(targets.next(2).empty());
}

TEST_CASE("a group is read a page at a time, each member once, in id order") {
  GroupDirectory groups;
  for (int i = 0; i < 2'500; ++i)
    REQUIRE(groups.join("hall", numbered(i)) == GroupDirectory::JoinResult::Joined);
  auto targets = BulkTargets::of_group(groups, "hall");
  CHECK(targets.expected() == 2'500);
  auto first = targets.next(1'000);
  REQUIRE(first.size() == 1'000);
  // A member that joins behind the cursor is not sent to; one that joins ahead is.
  REQUIRE(groups.join("hall", "a-early") == GroupDirectory::JoinResult::Joined);
  REQUIRE(groups.join("hall", "z-late") == GroupDirectory::JoinResult::Joined);
  auto rest = drain(targets, 1'000);
  first.insert(first.end(), rest.begin(), rest.end());
  REQUIRE(first.size() == 2'501);
  CHECK(std::is_sorted(first.begin(), first.end()));
  CHECK(first.back() == "z-late");
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == first.size());
}

TEST_CASE("everyone online: one registry part at a time above 10,000 devices, each once") {
  Registry registry;
  constexpr int kOnline = 25'000;
  for (int i = 0; i < kOnline; ++i)
    registry.claim(numbered(i), Route{.connection = static_cast<std::uint64_t>(i) + 1,
                                      .since_ms = 0,
                                      .worker = 0,
                                      .tls = false,
                                      .address = {}});
  auto targets = BulkTargets::of_online(registry);
  CHECK(targets.expected() == kOnline);
  // A slice is read from few parts: the first is far smaller than the whole registry.
  CHECK(targets.next(100).size() == 100);
  auto rest = drain(targets, 700);
  CHECK(rest.size() == kOnline - 100);
  std::set<std::string> seen(rest.begin(), rest.end());
  CHECK(seen.size() == rest.size());
}

TEST_CASE("everyone online: up to 10,000 devices are handed out in id order") {
  Registry registry;
  for (int i = 999; i >= 0; --i)
    registry.claim(numbered(i), Route{.connection = static_cast<std::uint64_t>(i) + 1,
                                      .since_ms = 0,
                                      .worker = 0,
                                      .tls = false,
                                      .address = {}});
  auto targets = BulkTargets::of_online(registry);
  auto all = drain(targets, 64);
  REQUIRE(all.size() == 1'000);
  CHECK(std::is_sorted(all.begin(), all.end()));
}

TEST_CASE("a report keeps per-device results up to its cap, then only the counts") {
  MessageReport report(2);
  report.record("a", MessageReport::Sent);
  report.record("b", MessageReport::Dropped);
  CHECK(report.answer()["results"].size() == 2);
  CHECK_FALSE(report.omitted());
  report.record("c", MessageReport::Sent);
  CHECK(report.omitted());
  CHECK_FALSE(report.answer().contains("results"));
  CHECK(report.answer()["summary"]["sent"] == 2);
  CHECK(report.answer()["summary"]["dropped"] == 1);

  MessageReport summary_only(0);
  summary_only.record("a", MessageReport::Queued);
  CHECK_FALSE(summary_only.omitted());
  CHECK_FALSE(summary_only.answer().contains("results"));
}

}  // namespace kite::server::api
