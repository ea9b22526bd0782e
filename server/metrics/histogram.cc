// LatencyHistogram: reading it from the scrape thread and merging snapshots.
#include "metrics/histogram.h"

namespace kite::server::metrics {

LatencyHistogram::Snapshot& LatencyHistogram::Snapshot::operator+=(const Snapshot& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum_micros += other.sum_micros;
  return *this;
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const noexcept {
  Snapshot s;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count += s.buckets[i];
  }
  s.sum_micros = sum_micros_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace kite::server::metrics
