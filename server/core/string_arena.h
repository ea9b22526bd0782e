// The strings of many small records of one batch, appended to one buffer and found again by
// offset and length: a batch costs one or two allocations, not one per field. Views returned by
// get() are valid until the next add() or clear().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kite::server {

class StringArena {
 public:
  struct Slice {
    std::uint32_t offset = 0, length = 0;
  };

  Slice add(std::string_view text) {
    Slice slice{static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(text.size())};
    bytes_.append(text);
    return slice;
  }
  // Adds every text of `texts` into the slice at the same index of `into`.
  void add_all(std::span<const std::string_view> texts, std::span<Slice> into) {
    for (std::size_t i = 0; i < texts.size() && i < into.size(); ++i) into[i] = add(texts[i]);
  }
  std::string_view get(Slice slice) const {
    return std::string_view(bytes_).substr(slice.offset, slice.length);
  }
  void clear() { bytes_.clear(); }

 private:
  std::string bytes_;
};

}  // namespace kite::server
