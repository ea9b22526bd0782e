// LatencyHistogram: bucket placement (bounds are inclusive), sum and count, merging snapshots.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

#include "metrics/histogram.h"

using namespace kite::server::metrics;

TEST_CASE("a value equal to a bound falls in that bound's bucket") {
  const auto& bounds = LatencyHistogram::kBoundsMicros;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    CHECK(LatencyHistogram::bucket_index(bounds[i]) == i);
    CHECK(LatencyHistogram::bucket_index(bounds[i] + 1) == i + 1);
  }
  CHECK(LatencyHistogram::bucket_index(0) == 0);
  CHECK(LatencyHistogram::bucket_index(49) == 0);
  CHECK(LatencyHistogram::bucket_index(5'000'001) == LatencyHistogram::kBucketCount - 1);
  CHECK(LatencyHistogram::bucket_index(UINT64_MAX) == LatencyHistogram::kBucketCount - 1);
}

TEST_CASE("observations land in their buckets, with count and sum") {
  LatencyHistogram h;
  for (std::uint64_t micros : {0u, 50u, 51u, 100u, 5'000'000u, 5'000'001u}) h.observe(micros);
  auto s = h.snapshot();
  CHECK(s.buckets[0] == 2);   // 0, 50
  CHECK(s.buckets[1] == 2);   // 51, 100
  CHECK(s.buckets[15] == 1);  // 5 s
  CHECK(s.buckets[16] == 1);  // +Inf
  CHECK(s.count == 6);
  CHECK(s.sum_micros == 0 + 50 + 51 + 100 + 5'000'000 + 5'000'001);
  std::uint64_t total = 0;
  for (auto b : s.buckets) total += b;
  CHECK(total == s.count);
}

TEST_CASE("snapshots of several histograms sum to one") {
  LatencyHistogram a;
  LatencyHistogram b;
  a.observe(10);
  a.observe(300);
  b.observe(300);
  b.observe(7'000'000);
  LatencyHistogram::Snapshot total;
  total += a.snapshot();
  total += b.snapshot();
  CHECK(total.buckets[0] == 1);
  CHECK(total.buckets[LatencyHistogram::bucket_index(300)] == 2);
  CHECK(total.buckets[16] == 1);
  CHECK(total.count == 4);
  CHECK(total.sum_micros == 10 + 300 + 300 + 7'000'000);
}
