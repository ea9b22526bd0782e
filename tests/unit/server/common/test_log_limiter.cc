// The log limiter: a burst, then one line per interval, and the count of lines held back.
#include <doctest/doctest.h>

#include "common/log_limiter.h"

using kite::server::log::Limiter;

TEST_CASE("a burst passes, then one line per interval, reporting what was dropped") {
  Limiter limiter(3, 1000);
  CHECK(limiter.admit(0) == 0u);
  CHECK(limiter.admit(0) == 0u);
  CHECK(limiter.admit(0) == 0u);
  CHECK_FALSE(limiter.admit(0));
  CHECK_FALSE(limiter.admit(500));
  CHECK(limiter.admit(1000) == 2u);  // one earned back after an interval: says 2 were dropped
  CHECK_FALSE(limiter.admit(1500));
  CHECK(limiter.admit(10'000) == 1u);
  // A long quiet spell refills the burst, no more.
  CHECK(limiter.admit(100'000) == 0u);
  CHECK(limiter.admit(100'000) == 0u);
  CHECK(limiter.admit(100'000) == 0u);
  CHECK_FALSE(limiter.admit(100'000));
}
