#include "kite/protocol/aligned_buffer.h"

#include <algorithm>
#include <cstring>

namespace kite::protocol {

void AlignedBuffer::reserve(std::size_t n) {
  if (n <= capacity_) return;
  std::size_t grown = std::max<std::size_t>({n, capacity_ * 2, 64});
  std::size_t words = (grown + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t);
  auto fresh = std::make_unique_for_overwrite<std::uint64_t[]>(words);
  if (size_ != 0) std::memcpy(fresh.get(), words_.get(), size_);
  words_ = std::move(fresh);
  capacity_ = words * sizeof(std::uint64_t);
}

void AlignedBuffer::resize(std::size_t n) {
  reserve(n);
  size_ = n;
}

void AlignedBuffer::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  reserve(size_ + bytes.size());
  std::memcpy(data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void AlignedBuffer::release() {
  words_.reset();
  size_ = 0;
  capacity_ = 0;
}

}  // namespace kite::protocol
