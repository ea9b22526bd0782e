#include "backoff.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace kite::sdk {

TEST_CASE("backoff: the window doubles from the initial delay up to the cap") {
  Backoff backoff(100, 1'000, 42);
  std::vector<std::uint32_t> ceilings;
  for (int i = 0; i < 8; ++i) {
    ceilings.push_back(backoff.ceiling());
    backoff.next();
  }
  CHECK(ceilings == std::vector<std::uint32_t>{100, 200, 400, 800, 1'000, 1'000, 1'000, 1'000});
}

TEST_CASE("backoff: full jitter draws over the whole window, never above it") {
  Backoff backoff(50, 800, 7);
  for (int i = 0; i < 5; ++i) backoff.next();  // reach the cap
  std::vector<std::uint32_t> delays;
  for (int i = 0; i < 2'000; ++i) delays.push_back(backoff.next());
  CHECK(*std::max_element(delays.begin(), delays.end()) <= 800);
  // Uniform over [0, 800]: every tenth of the window is hit, and the mean is near the middle.
  std::set<std::uint32_t> tenths;
  double sum = 0;
  for (auto d : delays) {
    tenths.insert(d * 10 / 801);
    sum += d;
  }
  CHECK(tenths.size() == 10);
  CHECK(sum / delays.size() == doctest::Approx(400).epsilon(0.1));
}

TEST_CASE("backoff: reset starts from the first window; the server's hint is a floor") {
  Backoff backoff(100, 10'000, 3);
  for (int i = 0; i < 6; ++i) backoff.next();
  CHECK(backoff.ceiling() == 6'400);
  backoff.reset();
  CHECK(backoff.ceiling() == 100);
  CHECK(backoff.next() <= 100);
  CHECK(backoff.next(5'000) >= 5'000);
  CHECK(backoff.next(5'000) <= 5'000);  // window 400: the hint wins
}

TEST_CASE("backoff: same seed, same delays; a huge attempt count does not overflow") {
  Backoff a(10, 60'000, 99), b(10, 60'000, 99);
  for (int i = 0; i < 100; ++i) CHECK(a.next() == b.next());
  for (int i = 0; i < 100'000; ++i) a.next();
  CHECK(a.ceiling() == 60'000);
  CHECK(a.next() <= 60'000);
}

TEST_CASE(
    "backoff: a fleet's spread retries are even over the window, and leave the doubling alone") {
  // 10,000 devices, each with its own seed, lose kited at once: their first retries fall evenly
  // over [0, 5000] ms, so the busiest 100 ms holds about 2 % of them, not all of them.
  std::vector<int> per_100ms(51, 0);
  for (std::uint64_t device = 1; device <= 10'000; ++device) {
    Backoff backoff(500, 60'000, device * 7919);
    const std::uint32_t delay = backoff.spread(5'000);
    REQUIRE(delay <= 5'000);
    ++per_100ms[delay / 100];
    CHECK(backoff.attempts() == 0);
    CHECK(backoff.ceiling() == 500);  // a retry that fails after it starts from the first window
  }
  const int busiest = *std::max_element(per_100ms.begin(), per_100ms.end() - 1);
  CHECK(busiest < 2 * 10'000 / 50);  // under twice the mean of a 100 ms bin
}

}  // namespace kite::sdk
