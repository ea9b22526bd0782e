// The retry schedule: caps double from the base up to the maximum; every wait is within [0, cap]
// and the draws spread over that range (full jitter), not bunched at one end.
#include <doctest/doctest.h>

#include <algorithm>

#include "webhooks/backoff.h"

using kite::server::webhooks::backoff_cap_ms;
using kite::server::webhooks::backoff_ms;

TEST_CASE("the cap doubles from the base and stops at the maximum") {
  CHECK(backoff_cap_ms(1, 500, 60000) == 500);
  CHECK(backoff_cap_ms(2, 500, 60000) == 1000);
  CHECK(backoff_cap_ms(3, 500, 60000) == 2000);
  CHECK(backoff_cap_ms(7, 500, 60000) == 32000);
  CHECK(backoff_cap_ms(8, 500, 60000) == 60000);
  CHECK(backoff_cap_ms(1000000, 500, 60000) == 60000);  // no overflow however many attempts
  CHECK(backoff_cap_ms(0, 500, 60000) == 500);
  CHECK(backoff_cap_ms(5, 3600000, 3600000) == 3600000);
}

TEST_CASE("every wait is within [0, cap], and the draws cover the range") {
  std::mt19937_64 random(42);
  for (std::uint32_t attempt = 1; attempt <= 12; ++attempt) {
    const std::uint64_t cap = backoff_cap_ms(attempt, 100, 10000);
    std::uint64_t low = cap, high = 0;
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t wait = backoff_ms(attempt, 100, 10000, random);
      REQUIRE(wait <= cap);
      low = std::min(low, wait);
      high = std::max(high, wait);
    }
    CHECK(low <= cap / 10);
    CHECK(high >= cap - cap / 10);
  }
}
