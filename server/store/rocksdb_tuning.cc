// RocksDB options of the store; see rocksdb_tuning.h for the rules they keep.
#include "store/rocksdb_tuning.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <chrono>

#include "store/record_codec.h"

namespace kite::server::store {
namespace {

// Idempotency records outlive their window until compaction meets them; then they go.
class ExpiredIdempotencyFilter final : public rocksdb::CompactionFilter {
 public:
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    if (key.empty() || key[0] != static_cast<char>(records::Kind::Idempotency)) return false;
    std::uint64_t expires_at_ms = 0;
    if (!records::read_u64({value.data(), value.size()}, expires_at_ms)) return false;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return expires_at_ms <= static_cast<std::uint64_t>(
                                std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }
  const char* Name() const override { return "kite.ExpiredIdempotencyFilter"; }
};

rocksdb::CompressionType best_cheap_compression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  const bool has_lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  return has_lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

}  // namespace

rocksdb::Options tuned_rocksdb_options() {
  static const ExpiredIdempotencyFilter filter;  // stateless; outlives every database

  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.write_buffer_size = 4 << 20;
  options.max_write_buffer_number = 2;
  options.max_total_wal_size = 128 << 20;
  options.compression = best_cheap_compression();
  options.bottommost_compression = options.compression;
  options.compaction_filter = &filter;
  options.keep_log_file_num = 3;
  options.max_log_file_size = 8 << 20;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(32 << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

rocksdb::ColumnFamilyOptions tuned_event_options(const rocksdb::Options& base) {
  rocksdb::ColumnFamilyOptions options(base);
  options.compaction_filter = nullptr;  // no idempotency records here
  options.write_buffer_size = 64 << 20;
  options.max_write_buffer_number = 2;
  return options;
}

}  // namespace kite::server::store
