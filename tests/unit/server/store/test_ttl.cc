// TTLs are 64-bit in the store (a 60-day default must not wrap at 2^32 ms), and what a device is
// told on the wire (a u32) is clamped, never wrapped.
#include <limits>

#include "store/ttl.h"
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {
constexpr std::uint64_t kSixtyDays = 5'184'000'000;  // above 2^32 ms (about 49.7 days)
}

TEST_CASE_TEMPLATE("a TTL above 2^32 ms expires when it says", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  NewMessage message = text("long-lived");
  message.ttl_ms = kSixtyDays;
  REQUIRE(store->enqueue("dev", message, kNow).status == Status::Queued);

  auto all = read_all(*store, "dev", kNow);
  REQUIRE(all.size() == 1);
  CHECK(all[0].expires_at_ms == kNow + kSixtyDays);
  CHECK(queued_seqs(*store, "dev", kNow + kSixtyDays - 1) == Seqs{1});
  CHECK(queued_seqs(*store, "dev", kNow + kSixtyDays).empty());
}

TEST_CASE("expiry times saturate instead of wrapping") {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  CHECK(expires_at_ms(kNow, 0) == 0);
  CHECK(expires_at_ms(kNow, kSixtyDays) == kNow + kSixtyDays);
  CHECK(expires_at_ms(kMax - 5, 10) == kMax);
}

TEST_CASE("the ttl told to a device is the remainder, clamped to the wire's u32") {
  constexpr auto kWireMax = std::numeric_limits<std::uint32_t>::max();
  CHECK(remaining_ttl_ms(kNow + kSixtyDays, kNow) == kWireMax);    // not 889,032,704
  CHECK(remaining_ttl_ms(kNow + (1ull << 32), kNow) == kWireMax);  // not 0 ("never")
  CHECK(remaining_ttl_ms(kNow + 1000, kNow) == 1000);
  CHECK(remaining_ttl_ms(kNow + 1000, kNow + 5000) == 1);  // already due: 1, never 0
}
