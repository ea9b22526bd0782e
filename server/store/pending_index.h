// PendingIndex: the write-behind's index of pending writes, each key's latest write
// (rocksdb_write_behind.h). One open-addressing table with linear probing: a lookup or an insert
// is a hash and, mostly, one cache line; nothing is allocated per key, so a worker never waits on
// malloc for it and the flusher never frees a worker's memory key by key. It replaced an
// std::unordered_map, whose node per key and chain walks were 6 % of kited's CPU under the
// point-to-point benchmark.
//
// Rules it keeps:
// - Keys are views: the bytes belong to the write batches the index describes, which outlive it.
// - At most half full, so that a probe stays short; deletion shifts the probe run back, so no
//   tombstone ever lengthens it.
// - A slot's hash is never 0: 0 marks an empty slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::server::store {

// The latest pending write of a key: what a flush writes for it.
struct Latest {
  std::string_view value;  // a put's value, in its batch
  bool deleted = false;
  bool created = false;     // the put that created the record, not yet flushed
  std::uint32_t group = 0;  // a created record's settle group: 1 + its index in groups_; 0 none
};

class PendingIndex {
 public:
  // A key with its hash, computed once for the lookups in both generations' indexes.
  struct Key {
    std::string_view bytes;
    std::uint64_t hash;
  };
  static Key key(std::string_view bytes);

  Latest* find(const Key& key);
  const Latest* find(const Key& key) const;
  bool contains(const Key& key) const { return find(key) != nullptr; }
  // `key` must be absent.
  void insert(const Key& key, const Latest& latest);
  // The key's entry, made (empty) when it was absent: whether it was is the second member. One
  // probe where find() then insert() take two.
  std::pair<Latest*, bool> try_insert(const Key& key);
  // `latest` is what find() returned, and nothing was inserted or erased since.
  void erase(const Latest* latest);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Room for `count` keys without growing.
  void reserve(std::size_t count);

  // Visits every key, in no order.
  template <typename Visit>
  void for_each(Visit visit) const {
    for (const Slot& slot : slots_)
      if (slot.hash != 0) visit(slot.key, slot.latest);
  }

 private:
  struct Slot {
    Latest latest;  // first: erase() finds the slot from the pointer find() gave
    std::uint64_t hash = 0;
    std::string_view key;
  };
  std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
  std::size_t probe(const Key& key) const;  // the key's slot, or the empty slot ending its run
  void grow(std::size_t capacity);

  std::vector<Slot> slots_;  // a power of two in size, or empty
  std::size_t size_ = 0;
};

}  // namespace kite::server::store
