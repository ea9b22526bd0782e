// Write-behind (StoreOptions::write_behind_ms, RocksDB under Async): deferred writes wait in
// memory; a message acknowledged before its write was due is never written; nothing answered as
// written is lost to kill -9; and no seq is given twice, across a crash or a clean restart.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {

StoreOptions behind(std::uint32_t ms) {
  return {.write_behind_ms = ms};
}

EnqueueResult enqueue_deferred(MessageStore& store, std::string_view device,
                               std::string_view payload, std::uint64_t settle_group = 0,
                               std::string_view conflation_key = {}) {
  const std::pair<std::string_view, NewMessage> one{device, keyed(payload, conflation_key)};
  std::vector<EnqueueResult> results;
  store.enqueue_batch_deferred({&one, 1}, kNow, results, settle_group);
  REQUIRE(results.size() == 1);
  return results.front();
}

void ack_deferred(MessageStore& store, std::string_view device, std::uint64_t through) {
  const std::pair<std::string_view, std::uint64_t> ack{device, through};
  REQUIRE(store.write_turn_deferred({&ack, 1}, {}));
}

bool written_within(MessageStore& store, std::uint64_t ticket, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!store.written(ticket)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("write-behind: a deferred enqueue is read back at once and written within the interval") {
  RocksStore rocks;
  auto store = rocks.open(behind(200));
  // The first message of a device reserves its seqs, durably: written at once.
  auto first = enqueue_deferred(*store, "dev", "one");
  REQUIRE(first.status == Status::Queued);
  CHECK(store->written(store->write_ticket()));
  auto second = enqueue_deferred(*store, "dev", "two");
  REQUIRE(second.status == Status::Queued);
  CHECK(second.seq == first.seq + 1);
  const std::uint64_t ticket = store->write_ticket();
  CHECK_FALSE(store->written(ticket));  // waits for the group commit
  CHECK(queued_seqs(*store, "dev") == std::vector<std::uint64_t>{1, 2});  // a read settles it
  CHECK(written_within(*store, ticket, std::chrono::seconds(5)));
}

TEST_CASE("write-behind: a message acknowledged before its write was due is never written") {
  RocksStore rocks;
  auto store = rocks.open(behind(60'000));  // nothing flushes by itself during the test
  enqueue_deferred(*store, "dev", "reserve");
  ack_deferred(*store, "dev", 1);
  const std::uint64_t before = store->stats().unwritten;
  for (int i = 0; i < 100; ++i) {
    auto result = enqueue_deferred(*store, "dev", "hello");
    REQUIRE(result.status == Status::Queued);
    ack_deferred(*store, "dev", result.seq);
  }
  CHECK(store->stats().unwritten - before == 100);
  CHECK(store->info("dev").queued_messages == 0);
  CHECK(store->info("dev").acked_through == 101);
  store.reset();  // a clean close writes what is pending
  store = rocks.open(behind(60'000));
  CHECK(queued_seqs(*store, "dev").empty());
  CHECK(store->info("dev").next_seq == 102);  // a clean restart continues without a gap
}

namespace {

// What the crash child tells the parent: a seq handed out, or one the store wrote.
struct Report {
  std::uint64_t seq = 0;
  bool written = false;
};

constexpr int kCrashMessages = 3000;

// Enqueues deferred; acknowledges every third message at once (delivered and acked before its
// write was due); reports each seq when given out and again once written; never closes the store.
[[noreturn]] void run_crash_child(const std::string& directory, int report_fd) {
  std::string error;
  auto store = open_rocksdb_store(directory, behind(5), error);
  if (!store) _exit(2);
  auto report = [&](std::uint64_t seq, bool written) {
    const Report r{seq, written};
    if (write(report_fd, &r, sizeof r) != sizeof r) _exit(4);
  };
  std::vector<std::pair<std::uint64_t, std::uint64_t>> waiting;  // seq, ticket
  for (int i = 1; i <= kCrashMessages; ++i) {
    const std::string device = "crash-" + std::to_string(i % 7);
    auto result = enqueue_deferred(*store, device, "m" + std::to_string(i));
    if (result.status != Status::Queued) _exit(3);
    report(result.seq * 8 + static_cast<std::uint64_t>(i % 7), false);
    if (i % 3 == 0) ack_deferred(*store, device, result.seq);
    waiting.emplace_back(result.seq * 8 + static_cast<std::uint64_t>(i % 7), store->write_ticket());
    std::erase_if(waiting, [&](const auto& item) {
      if (!store->written(item.second)) return false;
      report(item.first, true);
      return true;
    });
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(getpid(), SIGKILL);
  _exit(5);
}

}  // namespace

TEST_CASE("write-behind: a settle group settles once each message it stored is acknowledged") {
  RocksStore rocks;
  auto store = rocks.open(behind(60'000));  // nothing flushes by itself during the test
  enqueue_deferred(*store, "a", "reserve");
  enqueue_deferred(*store, "b", "reserve");
  ack_deferred(*store, "a", 1);
  ack_deferred(*store, "b", 1);

  const std::uint64_t group = store->open_settle_group();
  REQUIRE(group != 0);
  CHECK(enqueue_deferred(*store, "a", "one", group).seq == 2);
  CHECK(enqueue_deferred(*store, "b", "two", group).seq == 2);
  ack_deferred(*store, "a", 2);
  ack_deferred(*store, "b", 2);
  CHECK_FALSE(store->settled(group));  // still open: more may come
  store->close_settle_group(group);
  CHECK(store->settled(group));
  CHECK_FALSE(store->written(store->write_ticket()));  // settled without any write

  // One message still queued keeps its group unsettled; its write then answers instead.
  const std::uint64_t waiting = store->open_settle_group();
  enqueue_deferred(*store, "a", "three", waiting);
  enqueue_deferred(*store, "b", "four", waiting);
  store->close_settle_group(waiting);
  ack_deferred(*store, "a", 3);
  CHECK_FALSE(store->settled(waiting));
  const std::uint64_t ticket = store->write_ticket();
  store->write_pending();
  CHECK(store->written(ticket));

  // A write that began while a group's messages waited closes it to settling: they are on
  // their way to disk, and the ack after it no longer cancels anything.
  const std::uint64_t crossed = store->open_settle_group();
  enqueue_deferred(*store, "a", "five", crossed);
  store->write_pending();
  store->close_settle_group(crossed);
  ack_deferred(*store, "a", 4);
  CHECK_FALSE(store->settled(crossed));
}

TEST_CASE("write-behind: only a device's acknowledgement settles; a replacement does not") {
  RocksStore rocks;
  auto store = rocks.open(behind(60'000));  // nothing flushes by itself during the test
  enqueue_deferred(*store, "a", "reserve");
  ack_deferred(*store, "a", 1);

  // The message is deleted before its write, but undelivered: replaced by a newer one with its
  // conflation key. Only the write of the group's messages can answer for it now.
  const std::uint64_t replaced = store->open_settle_group();
  REQUIRE(enqueue_deferred(*store, "a", "old", replaced, "k").status == Status::Queued);
  store->close_settle_group(replaced);
  REQUIRE(enqueue_deferred(*store, "a", "new", 0, "k").replaced);
  CHECK_FALSE(store->written(store->write_ticket()));  // nothing was flushed meanwhile
  CHECK_FALSE(store->settled(replaced));
  const std::uint64_t ticket = store->write_ticket();
  store->write_pending();
  CHECK(store->written(ticket));
}

TEST_CASE_TEMPLATE("write-behind: stores that write at once have no settle groups", Store,
                   MemoryStore, RocksStore) {
  Store kind;
  auto store = kind.open();
  const std::uint64_t group = store->open_settle_group();
  CHECK(group == 0);
  enqueue_deferred(*store, "dev", "one", group);
  store->close_settle_group(group);
  CHECK(store->written(store->write_ticket()));
  CHECK_FALSE(store->settled(group));
}

TEST_CASE("write-behind: trimming events waits with them and covers those still waiting") {
  RocksStore rocks;
  {
    auto store = rocks.open(behind(60'000));  // nothing flushes by itself during the test
    const EventRecord first[] = {{1000, 5, 0, "dev", "{}"}, {1001, 6, 0, "dev", "{}"}};
    REQUIRE(store->write_turn_deferred({}, first));
    const std::uint64_t ticket = store->write_ticket();
    store->trim_events(1000);             // 1000 has not been written yet
    CHECK_FALSE(store->written(ticket));  // the trim made nothing land out of turn
    const EventRecord later[] = {{1002, 7, 0, "dev", "{}"}};
    REQUIRE(store->write_turn_deferred({}, later));
  }  // a clean close writes what waits, in order
  auto store = rocks.open(behind(60'000));
  std::vector<std::uint64_t> ids;
  store->for_each_event([&](const EventRecord& e) { ids.push_back(e.id); });
  CHECK(ids == std::vector<std::uint64_t>{1001, 1002});
}

TEST_CASE("write-behind: the sweep finds deadlines still waiting, and flushes nothing otherwise") {
  RocksStore rocks;
  auto store = rocks.open(behind(60'000));
  enqueue_deferred(*store, "dev", "reserve");  // the seq reservation is written at once
  enqueue_deferred(*store, "dev", "no deadline");
  const std::uint64_t ticket = store->write_ticket();
  CHECK(store->sweep(kNow + 10'000, 16).visited == 0);
  CHECK_FALSE(store->written(ticket));  // no deadline waited: no flush out of turn
  const std::pair<std::string_view, NewMessage> expiring{"dev", with_ttl("x", 1000)};
  std::vector<EnqueueResult> results;
  store->enqueue_batch_deferred({&expiring, 1}, kNow, results);
  REQUIRE(results.at(0).status == Status::Queued);
  CHECK(store->sweep(kNow + 1000, 16).visited == 1);
  CHECK(queued_seqs(*store, "dev") == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("write-behind: kill -9 loses nothing written, and no seq is given twice") {
  TempDir dir;
  int report_fd = -1;
  const pid_t child =
      fork_writer([&](int fd) { run_crash_child(dir.path.string(), fd); }, report_fd);
  ReapOnFailure reaper{child};
  std::set<std::uint64_t> given, written;  // seq * 8 + device
  std::size_t reports = 0;
  Report r;
  for (;;) {
    pollfd readable{report_fd, POLLIN, 0};
    REQUIRE_MESSAGE(poll(&readable, 1, 30'000) == 1, "the child stopped reporting");
    if (read(report_fd, &r, sizeof r) != sizeof r) break;
    (r.written ? written : given).insert(r.seq);
    if (++reports == kCrashMessages) kill(child, SIGKILL);  // part-way through
  }
  close(report_fd);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  reaper.pid = 0;
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(!written.empty());

  std::string error;
  auto store = open_rocksdb_store(dir.path.string(), behind(5), error);
  REQUIRE_MESSAGE(store != nullptr, error);
  std::size_t lost = 0, reused = 0;
  for (std::uint64_t device = 0; device < 7; ++device) {
    const std::string name = "crash-" + std::to_string(device);
    std::set<std::uint64_t> present;
    for (const auto& message : read_all(*store, name)) present.insert(message.seq);
    const std::uint64_t acked = store->info(name).acked_through;
    std::uint64_t highest_given = 0;
    for (std::uint64_t key : given)
      if (key % 8 == device) highest_given = std::max(highest_given, key / 8);
    for (std::uint64_t key : written) {
      const std::uint64_t seq = key / 8;
      // Written and not acknowledged since: it must be there. (An acked one may be gone.)
      if (key % 8 == device && seq > acked && present.count(seq) == 0) ++lost;
    }
    const auto next = enqueue_deferred(*store, name, "after the crash");
    REQUIRE(next.status == Status::Queued);
    reused += next.seq <= highest_given;
  }
  INFO("seqs given ", given.size(), ", written ", written.size());
  CHECK(lost == 0);
  CHECK(reused == 0);
}
