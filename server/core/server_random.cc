#include "core/server_random.h"

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>

#include "kite/protocol/handshake_crypto.h"

namespace kite::server {
namespace {

constexpr std::size_t kPoolBytes = 512;

// Bumped in a forked child, so that the child's copy of a pool is never used.
std::atomic<std::uint64_t> fork_generation{0};
const bool fork_handler_installed = [] {
  return pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }) == 0;
}();

struct Pool {
  std::array<std::uint8_t, kPoolBytes> bytes{};
  std::size_t used = kPoolBytes;  // bytes[used..] are fresh
  std::uint64_t generation = 0;

  ~Pool() { sodium_memzero(bytes.data(), bytes.size()); }
};

}  // namespace

void server_random(std::span<std::uint8_t> out) {
  thread_local Pool pool;
  const std::uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (!fork_handler_installed || out.size() > kPoolBytes / 4)
    return static_cast<void>(protocol::random_bytes(out));
  if (pool.generation != generation || kPoolBytes - pool.used < out.size()) {
    protocol::random_bytes(pool.bytes);
    pool.used = 0;
    pool.generation = generation;
  }
  std::copy_n(pool.bytes.begin() + static_cast<std::ptrdiff_t>(pool.used), out.size(), out.begin());
  sodium_memzero(pool.bytes.data() + pool.used, out.size());  // handed out: no copy stays here
  pool.used += out.size();
}

}  // namespace kite::server
