// A latency histogram for the metrics endpoint: one per worker thread, observed on the hot path,
// merged across workers at scrape time and written as a Prometheus histogram.
//
// Rules:
// - Fixed bucket bounds in microseconds (kBoundsMicros, 50 us .. 5 s, roughly 1-2.5-5 steps),
//   plus +Inf. A bound is inclusive, as Prometheus `le` is: an observation equal to a bound
//   counts in that bucket.
// - Single writer, like LocalCounter (counter.h): only the owning thread calls observe(), which
//   updates its bucket and the sum with relaxed load + relaxed store, no locked read-modify-write.
//   Any thread may call snapshot().
// - There is no separate count to store: a Snapshot's count is the sum of its buckets, so the
//   exposition's _count always equals its +Inf bucket, as Prometheus requires. A snapshot taken
//   while the owner observes may pair the sum with buckets one observation older or newer; the
//   next scrape catches up.
// - Buckets in a Snapshot are per bucket, not cumulative; the writer (prometheus_text.h) makes
//   them cumulative.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace kite::server::metrics {

class LatencyHistogram {
 public:
  static constexpr std::array<std::uint64_t, 16> kBoundsMicros = {
      50,    100,   250,    500,    1000,   2500,    5000,    10000,
      25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
  // One bucket per bound, then +Inf.
  static constexpr std::size_t kBucketCount = kBoundsMicros.size() + 1;

  struct Snapshot {
    std::array<std::uint64_t, kBucketCount> buckets{};  // per bucket; the last is (5 s, +Inf)
    std::uint64_t count = 0;                            // sum of buckets
    std::uint64_t sum_micros = 0;

    // Adds another thread's histogram, for one total across workers.
    Snapshot& operator+=(const Snapshot& other) noexcept;
  };

  // The bucket a value falls in: the first bound >= micros, or the +Inf bucket.
  static constexpr std::size_t bucket_index(std::uint64_t micros) noexcept {
    return static_cast<std::size_t>(
        std::lower_bound(kBoundsMicros.begin(), kBoundsMicros.end(), micros) -
        kBoundsMicros.begin());
  }

  // Owner thread only.
  void observe(std::uint64_t micros) noexcept {
    auto& bucket = buckets_[bucket_index(micros)];
    bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_micros_.store(sum_micros_.load(std::memory_order_relaxed) + micros,
                      std::memory_order_relaxed);
  }

  // Any thread.
  Snapshot snapshot() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kBucketCount> buckets_{};
  std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace kite::server::metrics
