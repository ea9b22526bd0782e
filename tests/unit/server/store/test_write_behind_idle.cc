// Write-behind's memory between bursts: the index of the open generation is sized like the last
// one while writes come (no step-by-step growth under load), and given back once a whole interval
// passed without any, so that an idle kited keeps none of it.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "store/rocksdb_write_behind.h"
#include "store_fixture.h"

using namespace kite::server::store;
using namespace kite::server::store_test;

namespace {

std::string fmt_key(int generation, int i) {
  return "m" + std::to_string(generation) + "-" + std::to_string(i);
}

}  // namespace

TEST_CASE("write-behind: an interval with nothing to write gives the last burst's index back") {
  TempDir dir;
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  const std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, {}}, {"events", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, dir.path.string(), families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  {
    WriteBehind behind(*db, handles[1], [](std::string_view) { return true; });
    std::string error;
    for (int generation = 0; generation < 2; ++generation) {  // a burst over two intervals
      rocksdb::WriteBatch burst;
      for (int i = 0; i < 1000; ++i) burst.Put(fmt_key(generation, i), "value");
      REQUIRE(behind.absorb(std::move(burst)));
      REQUIRE(behind.flush(false, error));
    }
    CHECK(behind.pending_writes() == 0);
    CHECK(behind.reserved_keys() >= 1000);  // the open generation is made as big as the last

    REQUIRE(behind.flush(false, error));  // a whole interval with nothing to write
    CHECK(behind.reserved_keys() == 0);

    rocksdb::WriteBatch later;  // and writes after the lull are taken as before
    later.Put("m-late", "value");
    REQUIRE(behind.absorb(std::move(later)));
    CHECK(behind.pending_writes() == 1);
    REQUIRE(behind.close(error));
  }
  std::string value;
  CHECK(db->Get({}, "m-late", &value).ok());
  CHECK(db->Get({}, fmt_key(1, 999), &value).ok());
  for (auto* handle : handles) REQUIRE(db->DestroyColumnFamilyHandle(handle).ok());
}
