// The write-behind's index of pending writes (pending_index.h): after any mix of inserts,
// updates and erases it holds exactly what a std::map given the same operations holds, including
// when every key lands in one probe run (erase's backward shift is what keeps those findable).
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

#include "store/pending_index.h"

using kite::server::store::Latest;
using kite::server::store::PendingIndex;

namespace {

// Applies `steps` random operations on keys drawn from `keys` to both; checks they agree after
// each. `hash` makes the index's keys (PendingIndex::key, or one forcing collisions).
template <typename Hash>
void compare_with_map(const std::deque<std::string>& keys, int steps, Hash hash) {
  PendingIndex index;
  std::map<std::string_view, std::uint32_t> expected;
  std::mt19937 random(7);
  for (int step = 0; step < steps; ++step) {
    const std::string_view key = keys[random() % keys.size()];
    const PendingIndex::Key k = hash(key);
    Latest* found = index.find(k);
    REQUIRE((found != nullptr) == expected.contains(key));
    const auto group = static_cast<std::uint32_t>(step + 1);
    if (found && random() % 2 == 0) {
      index.erase(found);
      expected.erase(key);
    } else if (found) {
      found->group = group;
      expected[key] = group;
    } else {
      index.insert(k, Latest{{}, false, true, group});
      expected[key] = group;
    }
    REQUIRE(index.size() == expected.size());
  }
  for (const std::string& key : keys) {
    const Latest* found = index.find(hash(key));
    REQUIRE((found != nullptr) == expected.contains(key));
    if (found) CHECK(found->group == expected[key]);
  }
  std::size_t visited = 0;
  index.for_each([&](std::string_view key, const Latest& latest) {
    ++visited;
    CHECK(expected.at(key) == latest.group);
  });
  CHECK(visited == expected.size());
}

std::deque<std::string> make_keys(int count) {
  std::deque<std::string> keys;
  for (int i = 0; i < count; ++i)
    keys.push_back("Mdev-" + std::to_string(i % 97) + "#" + std::to_string(i));
  return keys;
}

}  // namespace

TEST_CASE("the pending index agrees with a map through inserts, updates and erases") {
  compare_with_map(make_keys(5000), 60'000,
                   [](std::string_view key) { return PendingIndex::key(key); });
}

TEST_CASE("keys that share one probe run stay findable as others are erased") {
  // Eight hashes for 300 keys: long runs that wrap around the end of the table, where a wrong
  // backward shift would strand a key behind an empty slot.
  compare_with_map(make_keys(300), 20'000, [](std::string_view key) {
    PendingIndex::Key k = PendingIndex::key(key);
    k.hash = (k.hash % 8) * 0x9e3779b97f4a7c15ull | 1;
    return k;
  });
}

TEST_CASE("reserve keeps every key, and an empty index finds nothing") {
  PendingIndex index;
  const auto keys = make_keys(100);
  CHECK(index.find(PendingIndex::key(keys[0])) == nullptr);
  for (const std::string& key : keys)
    index.insert(PendingIndex::key(key), Latest{key, false, false, 0});
  index.reserve(10'000);
  for (const std::string& key : keys) {
    const Latest* found = index.find(PendingIndex::key(key));
    REQUIRE(found != nullptr);
    CHECK(found->value == key);
  }
  CHECK(index.size() == keys.size());
}
