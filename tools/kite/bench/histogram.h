// Latency histogram: log-linear buckets (HdrHistogram's idea, 3 significant digits), constant
// memory, O(1) record; percentiles read from the buckets. Values are microseconds.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace kite::bench {

class Histogram {
 public:
  void record(std::uint64_t value_us);
  void merge(const Histogram& other);
  void clear() { *this = Histogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value at or below which `fraction` (0..1) of the samples fall.
  std::uint64_t percentile(double fraction) const;

  // The samples as kept, to carry a histogram to another process (kite bench --processes) and
  // rebuild it there exactly, so merged percentiles are those of every sample: the non-empty
  // buckets as (index, count), and the totals.
  struct Parts {
    std::vector<std::pair<std::size_t, std::uint64_t>> buckets;
    std::uint64_t count = 0, sum = 0, max = 0;
  };
  Parts parts() const;
  // nullopt if a bucket index is out of range or the counts do not add up.
  static std::optional<Histogram> from_parts(const Parts& parts);

 private:
  static constexpr int kSubBits = 7;  // 64 linear steps per power of two: < 1.6 % error
  static constexpr int kMagnitudes = 40;
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t value_at(std::size_t index);

  std::array<std::uint64_t, (kMagnitudes + 1) << kSubBits> buckets_{};
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

}  // namespace kite::bench
