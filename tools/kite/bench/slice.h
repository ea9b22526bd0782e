// How --processes splits a run: child `index` of `count` takes an even share of the devices (the
// first devices % count children one more), numbered on from the previous children's shares, so
// that every device keeps the id and the source address it has in a one-process run and no two
// children share an id; and a share of --rate and --window in proportion to its devices (both are
// for the whole run). Each child keeps every other option.
#pragma once

#include <cstdint>

#include "bench/bench.h"

namespace kite::bench {

BenchOptions slice_for_child(const BenchOptions& whole, std::uint32_t index, std::uint32_t count);

}  // namespace kite::bench
