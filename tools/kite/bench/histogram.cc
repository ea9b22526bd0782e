#include "bench/histogram.h"

#include <algorithm>
#include <bit>

namespace kite::bench {

std::size_t Histogram::index_of(std::uint64_t value) {
  if (value < (1u << kSubBits)) return static_cast<std::size_t>(value);
  int magnitude = std::bit_width(value) - kSubBits;  // >= 1
  magnitude = std::min(magnitude, kMagnitudes);
  std::uint64_t sub = (value >> magnitude) & ((1u << kSubBits) - 1);
  return (static_cast<std::size_t>(magnitude) << kSubBits) + static_cast<std::size_t>(sub);
}

std::uint64_t Histogram::value_at(std::size_t index) {
  std::size_t magnitude = index >> kSubBits;
  std::uint64_t sub = index & ((1u << kSubBits) - 1);
  if (magnitude == 0) return sub;
  return sub << magnitude;  // the bucket's lower bound (sub keeps its leading bit)
}

void Histogram::record(std::uint64_t value_us) {
  ++buckets_[index_of(value_us)];
  ++count_;
  sum_ += value_us;
  max_ = std::max(max_, value_us);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

Histogram::Parts Histogram::parts() const {
  Parts parts;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    if (buckets_[i] != 0) parts.buckets.emplace_back(i, buckets_[i]);
  parts.count = count_;
  parts.sum = sum_;
  parts.max = max_;
  return parts;
}

std::optional<Histogram> Histogram::from_parts(const Parts& parts) {
  Histogram h;
  std::uint64_t counted = 0;
  for (const auto& [index, count] : parts.buckets) {
    if (index >= h.buckets_.size()) return std::nullopt;
    h.buckets_[index] += count;
    counted += count;
  }
  if (counted != parts.count) return std::nullopt;
  h.count_ = parts.count;
  h.sum_ = parts.sum;
  h.max_ = parts.max;
  return h;
}

std::uint64_t Histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(count_));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(value_at(i), max_);
  }
  return max_;
}

}  // namespace kite::bench
