// PendingIndex: the write-behind's index of pending writes, each key's latest write
// (rocksdb_write_behind.h), in a ProbeTable (common/probe_table.h): nothing is allocated per key,
// so a worker never waits on malloc for it and the flusher never frees a worker's memory key by
// key. It replaced an std::unordered_map, whose node per key and chain walks were 6 % of kited's
// CPU under the point-to-point benchmark.
//
// Keys are views: the bytes belong to the write batches the index describes, which outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/probe_table.h"

namespace kite::server::store {

// The latest pending write of a key: what a flush writes for it.
struct Latest {
  std::string_view value;  // a put's value, in its batch
  bool deleted = false;
  bool created = false;     // the put that created the record, not yet flushed
  std::uint32_t group = 0;  // a created record's settle group: 1 + its index in groups_; 0 none
};

class PendingIndex {
  struct Entry {
    Latest latest;  // first: a Latest* is its Entry's address (erase)
    std::string_view key;
  };
  struct Same {  // which entry is a key's
    std::string_view bytes;
    bool operator()(const Entry& entry) const { return entry.key == bytes; }
  };

 public:
  // A key with its hash, computed once for the lookups in both generations' indexes.
  struct Key {
    std::string_view bytes;
    std::uint64_t hash;
  };
  static Key key(std::string_view bytes);

  Latest* find(const Key& key) { return as_latest(table_.find(key.hash, Same{key.bytes})); }
  const Latest* find(const Key& key) const {
    const Entry* entry = table_.find(key.hash, Same{key.bytes});
    return entry ? &entry->latest : nullptr;
  }
  bool contains(const Key& key) const { return find(key) != nullptr; }
  // `key` must be absent.
  void insert(const Key& key, const Latest& latest) { *try_insert(key).first = latest; }
  // The key's entry, made (empty) when it was absent: whether it was is the second member. One
  // probe where find() then insert() take two.
  std::pair<Latest*, bool> try_insert(const Key& key) {
    auto [entry, fresh] = table_.try_insert(key.hash, Same{key.bytes});
    if (fresh) entry->key = key.bytes;
    return {&entry->latest, fresh};
  }
  // `latest` is what find() returned, and nothing was inserted or erased since.
  void erase(const Latest* latest) { table_.erase(reinterpret_cast<const Entry*>(latest)); }

  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  // Room for `count` keys without growing.
  void reserve(std::size_t count) { table_.reserve(count); }
  std::size_t capacity() const { return table_.capacity(); }

  // Visits every key, in no order.
  template <typename Visit>
  void for_each(Visit visit) const {
    table_.for_each([&](const Entry& entry) { visit(entry.key, entry.latest); });
  }

 private:
  static_assert(std::is_standard_layout_v<Entry>);
  static Latest* as_latest(Entry* entry) { return entry ? &entry->latest : nullptr; }

  ProbeTable<Entry> table_;
};

}  // namespace kite::server::store
