#include "bench/slice.h"

#include <algorithm>
#include <cmath>

namespace kite::bench {

BenchOptions slice_for_child(const BenchOptions& whole, std::uint32_t index, std::uint32_t count) {
  BenchOptions part = whole;
  const std::uint32_t even = whole.devices / count, extra = whole.devices % count;
  part.devices = even + (index < extra ? 1 : 0);
  part.first_device = whole.first_device + index * even + std::min(index, extra);
  const double share = whole.devices ? static_cast<double>(part.devices) / whole.devices : 0;
  part.rate = whole.rate * share;
  part.down_rate = whole.down_rate * share;
  part.up_rate = whole.up_rate * share;
  part.connect_rate = whole.connect_rate * share;
  part.window = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(std::lround(static_cast<double>(whole.window) * share)));
  return part;
}

}  // namespace kite::bench
