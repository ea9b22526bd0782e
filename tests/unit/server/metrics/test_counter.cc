// LocalCounter and LocalGauge: single-writer updates, read from another thread.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "metrics/counter.h"

using namespace kite::server::metrics;

TEST_CASE("a counter adds on its owner thread") {
  LocalCounter c;
  CHECK(c.value() == 0);
  c.add();
  c.add(41);
  CHECK(c.value() == 42);
}

TEST_CASE("another thread reads a counter while its owner adds, and sees the final value") {
  constexpr std::uint64_t kAdds = 1'000'000;
  LocalCounter c;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < kAdds; ++i) c.add();
    c.add(5);
    done.store(true, std::memory_order_release);
  });
  std::uint64_t last = 0;
  bool monotonic = true;
  for (;;) {
    bool finished = done.load(std::memory_order_acquire);
    std::uint64_t now = c.value();
    if (now < last) monotonic = false;
    last = now;
    if (finished) break;  // `now` was read after the writer's last store was published
  }
  writer.join();
  CHECK(monotonic);
  CHECK(last == kAdds + 5);
  CHECK(c.value() == kAdds + 5);
}

TEST_CASE("a gauge sets, adds and subtracts, and goes negative") {
  LocalGauge g;
  g.add();
  g.add(9);
  CHECK(g.value() == 10);
  g.sub(15);
  CHECK(g.value() == -5);
  g.set(7);
  g.sub();
  CHECK(g.value() == 6);
}
