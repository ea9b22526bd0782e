// ProbeTable: an open-addressing hash table for hot indexes (the write-behind's pending writes,
// the message statuses by id). Linear probing over one array: a look-up is a hash and, mostly,
// one cache line; nothing is allocated per entry, so no malloc on the hot path and no thread
// freeing another's memory entry by entry. The caller hashes (once, for every table it asks)
// and says which stored value is the one it means; the table keeps no keys of its own, so a
// value may point at a key held elsewhere (a write batch, a status entry).
//
// Rules it keeps:
// - At most half full, so that a probe stays short; an erase shifts the rest of its probe run
//   back, so no tombstone ever lengthens one.
// - A slot's hash is never 0 (0 marks an empty slot): a hash of 0 is stored as 1.
// - A Value* stays valid until the next insert (which may grow the table) or erase.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace kite::server {

template <typename Value>
class ProbeTable {
 public:
  // The value `is` says is the one meant, among those stored under `hash`; null if none.
  template <typename Is>
  const Value* find(std::uint64_t hash, Is is) const {
    if (size_ == 0) return nullptr;
    const Slot& slot = slots_[probe(stored(hash), is)];
    return slot.hash != 0 ? &slot.value : nullptr;
  }
  template <typename Is>
  Value* find(std::uint64_t hash, Is is) {
    return const_cast<Value*>(std::as_const(*this).find(hash, is));
  }
  // That value, made (default) when there was none: whether it was is the second member.
  template <typename Is>
  std::pair<Value*, bool> try_insert(std::uint64_t hash, Is is) {
    if ((size_ + 1) * 2 > slots_.size()) grow(std::max(kMinSlots, slots_.size() * 2));
    Slot& slot = slots_[probe(stored(hash), is)];
    if (slot.hash != 0) return {&slot.value, false};
    slot = Slot{Value{}, stored(hash)};
    ++size_;
    return {&slot.value, true};
  }
  // `value` is what find() or try_insert() gave, still valid.
  void erase(const Value* value) {
    static_assert(std::is_standard_layout_v<Slot>);
    const std::size_t mask = slots_.size() - 1;
    auto hole = static_cast<std::size_t>(reinterpret_cast<const Slot*>(value) - slots_.data());
    // Backward shift: each later slot of the run moves into the hole unless its home lies
    // cyclically after the hole (then it is already as close to home as it can be).
    for (std::size_t next = (hole + 1) & mask; slots_[next].hash != 0; next = (next + 1) & mask) {
      const std::size_t from_home = (next - home(slots_[next].hash)) & mask;
      const std::size_t from_hole = (next - hole) & mask;
      if (from_home >= from_hole) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return slots_.size() / 2; }  // values it holds without growing
  // Room for `count` values without growing.
  void reserve(std::size_t count) {
    const std::size_t wanted = std::bit_ceil(std::max(kMinSlots, count * 2));
    if (wanted > slots_.size()) grow(wanted);
  }
  // Visits every value, in no order.
  template <typename Visit>
  void for_each(Visit visit) const {
    for (const Slot& slot : slots_)
      if (slot.hash != 0) visit(slot.value);
  }

 private:
  static constexpr std::size_t kMinSlots = 64;
  struct Slot {
    Value value;  // first: erase() finds the slot from the value's address
    std::uint64_t hash = 0;
  };
  static std::uint64_t stored(std::uint64_t hash) { return hash == 0 ? 1 : hash; }
  std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
  // The slot holding the value meant, or the empty slot that ends its run.
  template <typename Is>
  std::size_t probe(std::uint64_t hash, Is& is) const {
    std::size_t i = home(hash);
    while (slots_[i].hash != 0 && (slots_[i].hash != hash || !is(slots_[i].value)))
      i = (i + 1) & (slots_.size() - 1);
    return i;
  }
  void grow(std::size_t capacity) {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (const Slot& slot : old) {
      if (slot.hash == 0) continue;
      std::size_t i = home(slot.hash);
      while (slots_[i].hash != 0) i = (i + 1) & (capacity - 1);
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  std::size_t size_ = 0;
};

}  // namespace kite::server
