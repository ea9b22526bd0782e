// OpenSSL's allocations in a fuzz target, from a pool of the target's own instead of the
// sanitizer's heap.
//
// Why: a TLS handshake makes thousands of small allocations, and AddressSanitizer's malloc
// records a stack trace for each; in fuzz_tls_server that bookkeeping, not the cryptography, was
// most of an input's time (4.9 ms a mutual-TLS handshake). OpenSSL is not built with the
// sanitizers, so no check inside it is lost; Kite's code never holds OpenSSL's memory (it copies
// in and out of the BIOs), so none of Kite's checks are lost either. What is lost: a leaked SSL
// object would not be reported (Kite frees them in one RAII deleter, channel.cc).
//
// The pool: size classes of powers of two from 32 B to 64 KiB, each with an intrusive free list,
// carved from 1 MiB chunks mapped once; larger blocks are mapped and unmapped one by one.
// Single-threaded, as a libFuzzer process is. install() must run before OpenSSL allocates.
#pragma once

#include <sys/mman.h>

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace kite::fuzz::openssl_pool {

// Not instrumented: the pool is the fuzzer's plumbing, not code under test, and its coverage
// and checks would cost as much as the malloc they replace.
#define KITE_POOL_PLUMBING __attribute__((no_sanitize("address", "undefined", "coverage")))

struct alignas(16) Header {
  std::size_t size;   // what the caller asked for
  std::size_t klass;  // size class, or kClasses for a block mapped by itself
};
struct FreeBlock {  // a free block's first bytes: the next free block of its class
  FreeBlock* next;
};

constexpr std::size_t kMinShift = 5;  // 32 B: a header and at least 16 B
constexpr std::size_t kClasses = 12;  // up to 32 << 11 = 64 KiB
constexpr std::size_t kChunk = 1 << 20;

struct State {
  FreeBlock* free[kClasses] = {};
  std::uint8_t* chunk = nullptr;
  std::size_t chunk_left = 0;
};

inline State& state() {
  static State s;  // trivially destructible: OpenSSL may free at exit, after statics go
  return s;
}

KITE_POOL_PLUMBING inline void* map(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  return p;
}

KITE_POOL_PLUMBING inline void* allocate(std::size_t size, const char*, int) {
  const std::size_t need = size + sizeof(Header);
  std::size_t klass = 0;
  while (klass < kClasses && (std::size_t{1} << (kMinShift + klass)) < need) ++klass;
  State& s = state();
  Header* h = nullptr;
  if (klass == kClasses) {
    h = static_cast<Header*>(map(need));
  } else if (FreeBlock* block = s.free[klass]) {
    s.free[klass] = block->next;
    h = reinterpret_cast<Header*>(block);
  } else {
    const std::size_t block_size = std::size_t{1} << (kMinShift + klass);
    if (s.chunk_left < block_size) {
      s.chunk = static_cast<std::uint8_t*>(map(kChunk));
      s.chunk_left = kChunk;
    }
    h = reinterpret_cast<Header*>(s.chunk);
    s.chunk += block_size;
    s.chunk_left -= block_size;
  }
  h->size = size;
  h->klass = klass;
  return h + 1;
}

KITE_POOL_PLUMBING inline void release(void* p, const char*, int) {
  if (!p) return;
  Header* h = static_cast<Header*>(p) - 1;
  if (h->klass == kClasses) {
    ::munmap(h, h->size + sizeof(Header));
    return;
  }
  State& s = state();
  auto* block = reinterpret_cast<FreeBlock*>(h);
  const std::size_t klass = h->klass;
  block->next = s.free[klass];
  s.free[klass] = block;
}

KITE_POOL_PLUMBING inline void* reallocate(void* p, std::size_t size, const char* file, int line) {
  if (!p) return allocate(size, file, line);
  if (size == 0) return release(p, file, line), nullptr;
  const std::size_t old_size = (static_cast<Header*>(p) - 1)->size;
  void* fresh = allocate(size, file, line);
  std::memcpy(fresh, p, old_size < size ? old_size : size);
  release(p, file, line);
  return fresh;
}

// True when OpenSSL took the functions (it refuses once it has allocated anything).
inline bool install() {
  return CRYPTO_set_mem_functions(allocate, reallocate, release) == 1;
}

}  // namespace kite::fuzz::openssl_pool
