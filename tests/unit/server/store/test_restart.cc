// Restarts of the durable stores (RocksDB, Redis): seqs, queues, indexes, totals, uplink state and
// the epoch survive; a directory in use or unusable is refused with an error that says what to do.
#include <unistd.h>

#include <fstream>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("seqs continue after a restart, even when the queue was fully acked", Store,
                   DURABLE_STORE_KINDS) {
  Store kind;
  {
    auto store = kind.open();
    for (int i = 0; i < 3; ++i) store->enqueue("dev", text("x"), kNow);
    store->ack("dev", 3);
  }
  auto store = kind.open();
  CHECK(store->info("dev").acked_through == 3);
  CHECK(store->enqueue("dev", text("x"), kNow).seq == 4);
}

TEST_CASE_TEMPLATE("queues, their indexes, totals and uplink state survive a restart", Store,
                   DURABLE_STORE_KINDS) {
  Store kind;
  std::string first_id;
  {
    auto store = kind.open();
    first_id = store->enqueue("a", keyed("a1", "state", "req"), kNow).message_id;
    store->enqueue("a", text("a2"), kNow);
    store->enqueue("b", text("b1"), kNow);
    store->set_uplink_last_received("a", 42);
  }
  auto store = kind.open();
  auto queue = read_all(*store, "a");
  REQUIRE(seqs_of(queue) == Seqs{1, 2});
  CHECK(queue[0].message_id == first_id);
  CHECK(queue[0].payload == "a1");
  auto stats = store->stats();
  CHECK(stats.messages == 3);
  CHECK(stats.bytes == (2 + 5) + 2 + 2);
  CHECK(store->info("a").uplink_last_received == 42);
  CHECK(store->info("b").uplink_last_received == 0);
  auto duplicate = store->enqueue("a", keyed("a1", "state", "req"), kNow);
  CHECK(duplicate.status == Status::Duplicate);
  CHECK(duplicate.message_id == first_id);
  CHECK(store->enqueue("a", keyed("a3", "state"), kNow).replaced);
}

TEST_CASE("the epoch is stable across restarts and new for a new directory") {
  RocksStore first, second;
  std::uint64_t epoch = first.open()->epoch();
  CHECK(epoch != 0);
  CHECK(first.open()->epoch() == epoch);
  CHECK(second.open()->epoch() != epoch);
  CHECK(make_memory_store({})->epoch() != make_memory_store({})->epoch());
}

TEST_CASE("a second open of a directory in use fails and names the holder") {
  RocksStore kind;
  auto holder = kind.open();
  std::string error;
  CHECK(open_rocksdb_store(kind.dir.path.string(), {}, error) == nullptr);
  CHECK(error.find("locked by another kited") != std::string::npos);
  CHECK(error.find("pid " + std::to_string(getpid())) != std::string::npos);
  CHECK(holder->enqueue("dev", text("still works"), kNow).status == Status::Queued);
}

TEST_CASE("a data directory that cannot be created is reported, not thrown") {
  TempDir dir;
  std::ofstream(dir.path / "file") << "not a directory";
  std::string error;
  CHECK(open_rocksdb_store((dir.path / "file" / "data").string(), {}, error) == nullptr);
  CHECK(error.find("cannot create data directory") != std::string::npos);
}
