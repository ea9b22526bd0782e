// Counts the heap allocations made through operator new by the calling thread. The bench binary
// replaces the global operator new/delete (alloc_counter.cc) to keep the count; memory obtained
// from malloc directly (zstd's own contexts, for one) is not seen.
#pragma once

#include <cstdint>

#include <benchmark/benchmark.h>

namespace kite::bench {

// Allocations by this thread since it started.
std::uint64_t allocation_count();

// Measures allocations over a benchmark's timed loop: construct it after the warm-up, right
// before `for (auto _ : state)`, and call report() after the loop.
class AllocationMeter {
 public:
  AllocationMeter() : start_(allocation_count()) {}

  // Sets state.counters["allocs/<unit>"] to the allocations per item, `items_per_iteration`
  // items being handled in each iteration.
  void report(benchmark::State& state, std::uint64_t items_per_iteration,
              const char* name = "allocs/frame") const {
    std::uint64_t allocations = allocation_count() - start_;
    auto items = static_cast<double>(state.iterations()) * static_cast<double>(items_per_iteration);
    state.counters[name] = items > 0 ? static_cast<double>(allocations) / items : 0.0;
  }

 private:
  std::uint64_t start_;
};

}  // namespace kite::bench
