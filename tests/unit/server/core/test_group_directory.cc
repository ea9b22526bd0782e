// The group directory: readers and other joiners never wait for a membership's store write, the
// store ends in the state of the last change of each pair, and a session's memberships (a token's
// groups) are never stored and end with that session.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/group_directory.h"

using namespace kite::server;
using namespace std::chrono_literals;

namespace {

// Membership only, as a store would keep it; its writes wait while held(): a slow disk (fsync).
class SlowMembershipStore final : public MessageStore {
 public:
  void set_member(std::string_view group, std::string_view device, bool member) override {
    std::unique_lock lock(mutex_);
    ++writes_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_; });
    if (member)
      pairs_[{std::string(group), std::string(device)}] = true;
    else
      pairs_.erase({std::string(group), std::string(device)});
  }
  void for_each_member(
      const std::function<void(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    for (const auto& [pair, member] : pairs_) visit(pair.first, pair.second);
  }
  void hold(bool held) {
    std::lock_guard lock(mutex_);
    held_ = held;
    changed_.notify_all();
  }
  bool wait_writes(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return writes_ >= n; });
  }
  bool stored(const std::string& group, const std::string& device) {
    std::lock_guard lock(mutex_);
    return pairs_.contains({group, device});
  }
  std::size_t writes() {
    std::lock_guard lock(mutex_);
    return writes_;
  }

  // Not used by the directory.
  EnqueueResult enqueue(std::string_view, const NewMessage&, std::uint64_t) override { return {}; }
  void enqueue_batch(std::span<const std::pair<std::string_view, NewMessage>>, std::uint64_t,
                     std::vector<EnqueueResult>&) override {}
  void read(std::string_view, std::uint64_t, std::size_t, std::size_t, std::uint64_t,
            std::vector<StoredMessage>&) override {}
  void ack(std::string_view, std::uint64_t) override {}
  void ack_batch(std::span<const std::pair<std::string_view, std::uint64_t>>) override {}
  bool write_turn(std::span<const std::pair<std::string_view, std::uint64_t>>,
                  std::span<const std::pair<std::string_view, std::uint64_t>>,
                  std::span<const EventRecord>) override {
    return true;
  }
  void for_each_event(const std::function<void(const EventRecord&)>&) override {}
  void trim_events(std::uint64_t) override {}
  void save_consumer_group(std::string_view, std::span<const std::uint64_t>) override {}
  void for_each_consumer_group(const CursorVisit&) override {}
  void discard(std::string_view, std::uint64_t) override {}
  SweepResult sweep(std::uint64_t, std::size_t) override { return {}; }
  void take_notices(std::vector<MessageNotice>&) override {}
  bool recover() override { return true; }
  QueueInfo info(std::string_view) override { return {}; }
  void set_uplink_last_received(std::string_view, std::uint64_t) override {}
  std::uint64_t epoch() const override { return 1; }
  StoreStats stats() const override { return {}; }
  bool healthy() const override { return true; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  std::size_t writes_ = 0;
  std::map<std::pair<std::string, std::string>, bool> pairs_;
};

// Runs `call` on another thread; true if it returned within a second. If it did not, the store
// lets its writes go (so that the test ends, and fails, instead of hanging).
template <typename Call>
bool returns_promptly(SlowMembershipStore& store, Call call) {
  auto done = std::async(std::launch::async, std::move(call));
  if (done.wait_for(1s) == std::future_status::ready) return true;
  store.hold(false);
  return false;
}

}  // namespace

TEST_CASE("group directory: a slow store write blocks no reader and no other joiner") {
  SlowMembershipStore store;
  GroupDirectory directory(&store);
  store.hold(true);
  std::thread writer(
      [&] { CHECK(directory.join("hall", "lamp-1") == GroupDirectory::JoinResult::Joined); });
  REQUIRE(store.wait_writes(1));  // the writer is inside the store now, and stays there

  bool read_ok = false;
  CHECK(returns_promptly(store, [&] {
    read_ok = directory.is_member("hall", "lamp-1") && directory.groups_of("lamp-1").size() == 1 &&
              directory.size("hall") == 1 && directory.members("hall").size() == 1;
  }));
  // Another worker's join is recorded and returns: the thread already writing takes it along.
  CHECK(returns_promptly(store, [&] { directory.join("porch", "lamp-2"); }));
  CHECK(returns_promptly(store, [&] { directory.leave("hall", "lamp-1"); }));

  store.hold(false);
  writer.join();
  CHECK(read_ok);
  CHECK(store.stored("porch", "lamp-2"));
  CHECK_FALSE(store.stored("hall", "lamp-1"));  // the last change of the pair won
  CHECK_FALSE(directory.is_member("hall", "lamp-1"));
}

TEST_CASE("group directory: racing joins and leaves of one pair end stored as in memory") {
  for (int round = 0; round < 20; ++round) {
    SlowMembershipStore store;
    GroupDirectory directory(&store);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          if ((i + t) % 2 == 0)
            directory.join("room", "panel-1");
          else
            directory.leave("room", "panel-1");
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(store.stored("room", "panel-1") == directory.is_member("room", "panel-1"));
  }
}

TEST_CASE("group directory: load reads what the store kept") {
  SlowMembershipStore store;
  {
    GroupDirectory first(&store);
    first.join("a", "dev-1");
    first.join("b", "dev-1");
    first.leave("a", "dev-1");
  }
  GroupDirectory second(&store);
  CHECK(second.load() == 1);
  CHECK(second.groups_of("dev-1") == std::vector<std::string>{"b"});
}

TEST_CASE("group directory: a session's groups are never stored and end with the session") {
  using Result = GroupDirectory::JoinResult;
  SlowMembershipStore store;
  GroupDirectory directory(&store);
  CHECK(directory.join_for_session("beta", "tv-1", 1) == Result::Joined);
  CHECK(directory.is_member("beta", "tv-1"));
  CHECK(store.writes() == 0);
  directory.end_session("tv-1", 1);
  CHECK_FALSE(directory.is_member("beta", "tv-1"));

  // A newer session of the device that holds the group too keeps it when the older one ends.
  directory.join_for_session("beta", "tv-1", 2);
  CHECK(directory.join_for_session("beta", "tv-1", 3) == Result::AlreadyMember);
  directory.end_session("tv-1", 2);
  CHECK(directory.is_member("beta", "tv-1"));
  directory.end_session("tv-1", 3);
  CHECK_FALSE(directory.is_member("beta", "tv-1"));

  // A lasting membership stays when a session names the same group, and a lasting join of a
  // session's group makes it last (and stored).
  directory.join("news", "tv-1");
  CHECK(directory.join_for_session("news", "tv-1", 4) == Result::AlreadyMember);
  directory.join_for_session("sport", "tv-1", 4);
  CHECK(directory.join("sport", "tv-1") == Result::Joined);
  directory.end_session("tv-1", 4);
  CHECK(directory.is_member("news", "tv-1"));
  CHECK(directory.is_member("sport", "tv-1"));
  CHECK(store.stored("sport", "tv-1"));

  // Leaving a session's group writes nothing.
  directory.join_for_session("film", "tv-1", 5);
  const std::size_t writes = store.writes();
  CHECK(directory.leave("film", "tv-1"));
  CHECK(store.writes() == writes);
  CHECK(directory.join_for_session("bad/name", "tv-1", 5) == Result::InvalidName);
}

TEST_CASE("group directory: resync takes the store's lasting memberships, keeps sessions'") {
  SlowMembershipStore store;
  GroupDirectory here(&store);   // this node: cut off while the other changed the groups
  GroupDirectory other(&store);  // another node writing the same store
  here.join("stays", "dev-1");
  here.join("left-elsewhere", "dev-1");
  here.join_for_session("session-only", "dev-1", 7);
  other.load();
  other.join("joined-elsewhere", "dev-2");
  other.leave("left-elsewhere", "dev-1");

  const auto resync = here.resync();
  CHECK(resync.added == 1);
  CHECK(resync.removed == 1);
  CHECK(here.is_member("stays", "dev-1"));
  CHECK(here.is_member("joined-elsewhere", "dev-2"));
  CHECK_FALSE(here.is_member("left-elsewhere", "dev-1"));
  CHECK(here.is_member("session-only", "dev-1"));  // never stored: not the store's to end
  const auto again = here.resync();                // nothing more to take
  CHECK(again.added == 0);
  CHECK(again.removed == 0);
}

TEST_CASE("group directory: resync keeps a join of this node's that is being written meanwhile") {
  SlowMembershipStore store;
  GroupDirectory here(&store);
  store.hold(true);
  std::thread writer([&] { here.join("hall", "lamp-9"); });
  REQUIRE(store.wait_writes(1));      // the join is in the store's hands, not stored yet
  const auto resync = here.resync();  // reads a store without it
  CHECK(resync.removed == 0);
  CHECK(here.is_member("hall", "lamp-9"));
  store.hold(false);
  writer.join();
  CHECK(store.stored("hall", "lamp-9"));
  CHECK(here.is_member("hall", "lamp-9"));
}
