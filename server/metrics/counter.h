// Per-thread counters and gauges for the metrics endpoint: the thread that owns one updates it on
// its hot path for the price of a plain add; the scrape reads it from any thread.
//
// Rules:
// - Single writer: exactly one thread (the owner, e.g. a worker loop) ever calls add(), set() or
//   sub(). Two writers lose updates. Any thread may read value() at any time.
// - Why an atomic updated with load + store, not fetch_add: with one writer no increment can be
//   lost, so the locked read-modify-write (lock xadd on x86, an LL/SC loop on ARM) buys nothing.
//   A relaxed load and a relaxed store compile to plain moves; the atomic type only makes the
//   concurrent read by the scraper well defined (no torn value, no data race) without ordering.
// - A reader sees some recent value, not necessarily the latest: scrapes are approximate by
//   nature, and a counter never appears to go down (the writer's stores are seen in order).
// - Totals across threads are summed at scrape time, one object per thread. Keep each object in
//   memory its owner writes anyway (its worker state); an array of them shared by several writers
//   would put them on the same cache line.
#pragma once

#include <atomic>
#include <cstdint>

namespace kite::server::metrics {

// A monotonic count (requests served, bytes written). Wraps at 2^64, which it never reaches.
class LocalCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A level that goes up and down (open connections, queued bytes), same single-writer rule.
class LocalGauge {
 public:
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n = 1) noexcept {
    // Unsigned arithmetic: wraps instead of signed overflow (undefined behaviour).
    auto now = static_cast<std::uint64_t>(value_.load(std::memory_order_relaxed));
    value_.store(static_cast<std::int64_t>(now + static_cast<std::uint64_t>(n)),
                 std::memory_order_relaxed);
  }
  void sub(std::int64_t n = 1) noexcept {
    auto now = static_cast<std::uint64_t>(value_.load(std::memory_order_relaxed));
    value_.store(static_cast<std::int64_t>(now - static_cast<std::uint64_t>(n)),
                 std::memory_order_relaxed);
  }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace kite::server::metrics
