// How the RocksDB store configures RocksDB: a modest memory budget for many small values.
//
// Rules: the budget is bounded (a 32 MiB block cache, two 32 MiB write buffers, a 128 MiB WAL
// ceiling); LZ4 where this RocksDB build has it, else no compression; bloom filters for the point
// lookups (meta, conflation, idempotency records). The WAL is written on every Write() (no manual
// WAL flush), which is what makes Async durability survive kill -9. Expired idempotency records are
// dropped by a compaction filter that compares them to the wall clock.
#pragma once

#include <rocksdb/options.h>

namespace kite::server::store {

rocksdb::Options tuned_rocksdb_options();

}  // namespace kite::server::store
