// Write-behind's memory between bursts: the index of the open generation is sized like the last
// one while writes come (no step-by-step growth under load), and given back once a whole interval
// passed without any; after a quiet spell RocksDB's memtables are written out too, so that an
// idle kited keeps none of it.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/rocksdb_write_behind.h"
#include "store_fixture.h"

using namespace kite::server::store;
using namespace kite::server::store_test;

namespace {

// A database with the store's two families, closed at the end of the test.
struct TwoFamilies {
  TempDir dir;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  TwoFamilies() {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    const std::vector<rocksdb::ColumnFamilyDescriptor> families{
        {rocksdb::kDefaultColumnFamilyName, {}}, {"events", {}}};
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, dir.path.string(), families, &handles, &raw).ok());
    db.reset(raw);
  }
  ~TwoFamilies() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::ColumnFamilyHandle* events() const { return handles[1]; }
  std::uint64_t entries_in_memory(rocksdb::ColumnFamilyHandle* family) const {
    std::uint64_t entries = 0;
    REQUIRE(db->GetIntProperty(family, "rocksdb.num-entries-active-mem-table", &entries));
    return entries;
  }
};

std::string fmt_key(int generation, int i) {
  return "m" + std::to_string(generation) + "-" + std::to_string(i);
}

}  // namespace

TEST_CASE("write-behind: an interval with nothing to write gives the last burst's index back") {
  TwoFamilies rocks;
  rocksdb::DB& db = *rocks.db;
  {
    WriteBehind behind(db, rocks.events(), [](std::string_view) { return true; });
    std::string error;
    for (int generation = 0; generation < 2; ++generation) {  // a burst over two intervals
      rocksdb::WriteBatch burst;
      for (int i = 0; i < 1000; ++i) burst.Put(fmt_key(generation, i), "value");
      REQUIRE(behind.absorb(std::move(burst)));
      REQUIRE(behind.flush_interval(error));
    }
    CHECK(behind.pending_writes() == 0);
    CHECK(behind.reserved_keys() >= 1000);  // the open generation is made as big as the last

    REQUIRE(behind.flush(false, error));  // a worker's flush with nothing to write keeps it
    CHECK(behind.reserved_keys() >= 1000);
    REQUIRE(behind.flush_interval(error));  // a whole interval with nothing written
    CHECK(behind.reserved_keys() == 0);

    rocksdb::WriteBatch later;  // and writes after the lull are taken as before
    later.Put("m-late", "value");
    REQUIRE(behind.absorb(std::move(later)));
    CHECK(behind.pending_writes() == 1);
    REQUIRE(behind.close(error));
  }
  std::string value;
  CHECK(db.Get({}, "m-late", &value).ok());
  CHECK(db.Get({}, fmt_key(1, 999), &value).ok());
}

// Two of the flusher's intervals with nothing written.
void idle_intervals(WriteBehind& behind) {
  std::string error;
  REQUIRE(behind.flush_interval(error));
  REQUIRE(behind.flush_interval(error));
}

// A write, then intervals with nothing to write until a quiet spell has passed.
void burst_then_quiet(TwoFamilies& rocks, WriteBehind& behind, std::chrono::milliseconds quiet) {
  rocksdb::WriteBatch burst;
  for (int i = 0; i < 100; ++i) {
    burst.Put(fmt_key(0, i), "value");
    burst.Put(rocks.events(), fmt_key(1, i), "event");
  }
  REQUIRE(behind.absorb(std::move(burst)));
  std::string error;
  REQUIRE(behind.flush_interval(error));
  std::this_thread::sleep_for(quiet + std::chrono::milliseconds(50));
  idle_intervals(behind);
}

TEST_CASE("write-behind: after a quiet spell the memtables are written out, once") {
  TwoFamilies rocks;
  const auto quiet = std::chrono::milliseconds(1000);  // long beside a pause between two calls
  WriteBehind behind(*rocks.db, rocks.events(), [](std::string_view) { return true; },
                     {.quiet_for = quiet, .min_memtable_entries = 0});
  rocksdb::WriteBatch first;
  first.Put(rocks.events(), "early", "event");
  REQUIRE(behind.absorb(std::move(first)));
  std::string error;
  REQUIRE(behind.flush_interval(error));
  idle_intervals(behind);  // idle, but the spell has only begun
  CHECK(rocks.entries_in_memory(rocks.events()) == 1);

  burst_then_quiet(rocks, behind, quiet);
  CHECK(rocks.entries_in_memory(rocks.events()) == 0);
  CHECK(rocks.entries_in_memory(rocks.db->DefaultColumnFamily()) == 0);
  std::string value;
  CHECK(rocks.db->Get({}, rocks.events(), fmt_key(1, 99), &value).ok());  // on disk now

  // Once per spell: an event written at once (not through the write-behind) stays in memory.
  REQUIRE(rocks.db->Put({}, rocks.events(), "at-once", "event").ok());
  std::this_thread::sleep_for(quiet + std::chrono::milliseconds(50));
  idle_intervals(behind);
  CHECK(rocks.entries_in_memory(rocks.events()) == 1);

  // A deferred write starts a new spell, which ends in a flush again.
  burst_then_quiet(rocks, behind, quiet);
  CHECK(rocks.entries_in_memory(rocks.events()) == 0);
  REQUIRE(behind.close(error));
}

TEST_CASE("write-behind: a quiet spell with little in the memtables writes nothing out") {
  TwoFamilies rocks;
  const auto quiet = std::chrono::milliseconds(100);
  WriteBehind behind(*rocks.db, rocks.events(), [](std::string_view) { return true; },
                     {.quiet_for = quiet, .min_memtable_entries = 1000});
  burst_then_quiet(rocks, behind, quiet);
  CHECK(behind.reserved_keys() == 0);  // the spell was seen (its index given back)
  CHECK(rocks.entries_in_memory(rocks.events()) == 100);  // a trickle never pays for a flush
  std::string error;
  REQUIRE(behind.close(error));
}
