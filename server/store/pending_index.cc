// PendingIndex; see pending_index.h for the rules it keeps.
#include "store/pending_index.h"

#include <bit>
#include <functional>
#include <type_traits>
#include <utility>

namespace kite::server::store {

namespace {
constexpr std::size_t kMinSlots = 64;
}  // namespace

PendingIndex::Key PendingIndex::key(std::string_view bytes) {
  const std::uint64_t hash = std::hash<std::string_view>{}(bytes);
  return {bytes, hash == 0 ? 1 : hash};
}

std::size_t PendingIndex::probe(const Key& key) const {
  std::size_t i = home(key.hash);
  while (slots_[i].hash != 0 && (slots_[i].hash != key.hash || slots_[i].key != key.bytes))
    i = (i + 1) & (slots_.size() - 1);
  return i;
}

Latest* PendingIndex::find(const Key& key) {
  return const_cast<Latest*>(std::as_const(*this).find(key));
}

const Latest* PendingIndex::find(const Key& key) const {
  if (size_ == 0) return nullptr;
  const Slot& slot = slots_[probe(key)];
  return slot.hash != 0 ? &slot.latest : nullptr;
}

void PendingIndex::insert(const Key& key, const Latest& latest) {
  *try_insert(key).first = latest;
}

std::pair<Latest*, bool> PendingIndex::try_insert(const Key& key) {
  if ((size_ + 1) * 2 > slots_.size()) grow(std::max(kMinSlots, slots_.size() * 2));
  Slot& slot = slots_[probe(key)];
  if (slot.hash != 0) return {&slot.latest, false};
  slot = Slot{Latest{}, key.hash, key.bytes};
  ++size_;
  return {&slot.latest, true};
}

void PendingIndex::erase(const Latest* latest) {
  const std::size_t mask = slots_.size() - 1;
  static_assert(std::is_standard_layout_v<Slot>);
  std::size_t hole =
      static_cast<std::size_t>(reinterpret_cast<const Slot*>(latest) - slots_.data());
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

void PendingIndex::reserve(std::size_t count) {
  const std::size_t wanted = std::bit_ceil(std::max(kMinSlots, count * 2));
  if (wanted > slots_.size()) grow(wanted);
}

void PendingIndex::grow(std::size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  for (const Slot& slot : old)
    if (slot.hash != 0) slots_[probe({slot.key, slot.hash})] = slot;
}

}  // namespace kite::server::store
