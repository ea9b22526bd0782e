// The uplink rate limit without a socket: a burst is free, a read's frames can put the bucket in
// debt, the refill pays it back at the rate, and reading resumes when one token is back.
#include <doctest/doctest.h>

#include "core/uplink_bucket.h"
#include "core/uplink_cost.h"

using kite::server::UplinkBucket;

TEST_CASE("a full bucket takes a burst, then goes into debt instead of refusing") {
  UplinkBucket bucket(100, 200, 1000);
  for (int i = 0; i < 200; ++i) bucket.charge(1, 1000);
  CHECK_FALSE(bucket.in_debt());
  CHECK(bucket.tokens() == doctest::Approx(0));
  for (int i = 0; i < 50; ++i) bucket.charge(1, 1000);  // the rest of the same read
  CHECK(bucket.in_debt());
  CHECK(bucket.tokens() == doctest::Approx(-50));
}

TEST_CASE("the debt is paid at the rate: reading resumes when one whole token is back") {
  UplinkBucket bucket(100, 200, 0);
  bucket.charge(250, 0);  // 50 in debt: 51 tokens to wait for, at 100/s = 510 ms
  const auto resume_at = bucket.paid_at(0);
  CHECK(resume_at == 511);  // a millisecond late rather than early
  bucket.charge(0, resume_at);
  CHECK_FALSE(bucket.in_debt());
  CHECK(bucket.tokens() >= 1);
}

TEST_CASE("the refill never goes above the burst") {
  UplinkBucket bucket(100, 200, 0);
  bucket.charge(0, 60'000);  // a minute idle
  CHECK(bucket.tokens() == doctest::Approx(200));
  bucket.charge(150, 60'000);
  bucket.charge(0, 60'100);  // 100 ms: 10 tokens back
  CHECK(bucket.tokens() == doctest::Approx(60));
}

TEST_CASE("rate 0 is no limit: nothing is charged and the bucket is never in debt") {
  UplinkBucket bucket(0, 200, 0);
  for (int i = 0; i < 10'000; ++i) bucket.charge(1, 0);
  CHECK_FALSE(bucket.in_debt());
  UplinkBucket before_open;  // what a connection holds until its session opens
  before_open.charge(1'000'000, 5);
  CHECK_FALSE(before_open.in_debt());
}

TEST_CASE("acks cost a sixteenth: a device acking its downlink stays within a small burst") {
  using kite::server::uplink_cost;
  UplinkBucket bucket(100, 200, 0);
  for (int i = 0; i < 3200; ++i) bucket.charge(uplink_cost(kite::wire::Message::Ack, 8), 0);
  CHECK_FALSE(bucket.in_debt());
  bucket.charge(uplink_cost(kite::wire::Message::Publish, 64 * 1024), 0);  // 1 + 4 for the bytes
  CHECK(bucket.tokens() == doctest::Approx(-5));
}
