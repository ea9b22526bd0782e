// How the RocksDB store configures RocksDB: a modest memory budget for many small values.
//
// Rules: the budget is bounded (a 32 MiB block cache, two 32 MiB write buffers, a 128 MiB WAL
// ceiling); LZ4 where this RocksDB build has it, else no compression; bloom filters for the point
// lookups (meta, conflation, idempotency records). The WAL is written on every Write() (no manual
// WAL flush), which is what makes Async durability survive kill -9. Expired idempotency records are
// dropped by a compaction filter that compares them to the wall clock.
//
// The event log has a column family of its own: its keys only grow and retention deletes them
// from the front in ranges, usually before they ever leave the memtable. A 64 MiB write buffer
// lets a flush drop what a range deletion already covers, so at high event rates most events
// never reach an SST file or a compaction (writing them to SSTs, then compacting them away, was
// more than half of kited's CPU with durable events).
#pragma once

#include <rocksdb/options.h>

namespace kite::server::store {

inline constexpr const char* kEventsFamily = "events";

rocksdb::Options tuned_rocksdb_options();
rocksdb::ColumnFamilyOptions tuned_event_options(const rocksdb::Options& base);

}  // namespace kite::server::store
