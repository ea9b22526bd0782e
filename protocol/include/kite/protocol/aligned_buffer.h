// A growable byte buffer whose storage is always 8-byte aligned, so FlatBuffers bodies copied
// into it can be read in place. It keeps its capacity across clear() (no allocation in steady
// state) until release() returns the memory.
//
//   data()                     data() + size()           data() + capacity()
//   |<--------- size() -------->|<------ spare capacity ------>|
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace kite::protocol {

class AlignedBuffer {
 public:
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(words_.get()); }
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(words_.get()); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::uint8_t> view() const { return {data(), size_}; }

  // Makes room for `n` bytes in total, keeping the current contents.
  void reserve(std::size_t n);
  // Sets the size to `n`, growing as needed; new bytes are unspecified.
  void resize(std::size_t n);
  void append(std::span<const std::uint8_t> bytes);
  void clear() { size_ = 0; }
  // Frees the storage: an idle owner should hold no memory.
  void release();

 private:
  std::unique_ptr<std::uint64_t[]> words_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace kite::protocol
