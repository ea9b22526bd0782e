// The downlink decision without a session: a carried message goes out at once only in order,
// unexpired, with credit and below the high-water mark; anything else is left to a store read.
#include <doctest/doctest.h>

#include "core/downlink_decision.h"

using namespace kite::server;

namespace {

constexpr std::uint64_t kWall = 1'800'000'000'000;
const DownlinkRoom kRoom{10, 0, 64 * 1024};

CarriedStep step(std::uint64_t seq, DownlinkPosition at, DownlinkRoom room = kRoom,
                 std::uint64_t expires_at_ms = 0) {
  return carried_step(seq, expires_at_ms, at, room, kWall);
}

}  // namespace

TEST_CASE("the next seq with room and no backlog is sent now") {
  CHECK(step(8, {7, false}) == CarriedStep::send_now);
  CHECK(step(8, {7, false}, kRoom, kWall + 1) == CarriedStep::send_now);  // not yet expired
}

TEST_CASE("a seq already sent is skipped: a carry can arrive after the store read took it") {
  CHECK(step(7, {7, false}) == CarriedStep::skip);
  CHECK(step(3, {7, true}) == CarriedStep::skip);
}

TEST_CASE("out of order or behind a backlog: the store is read instead, so order holds") {
  CHECK(step(9, {7, false}) == CarriedStep::read_store);  // 8 is missing here
  CHECK(step(8, {7, true}) == CarriedStep::read_store);   // older messages wait in the store
}

TEST_CASE("an expired carried message is never sent: the store read drops it") {
  CHECK(step(8, {7, false}, kRoom, kWall) == CarriedStep::read_store);
  CHECK(step(8, {7, false}, kRoom, kWall - 1) == CarriedStep::read_store);
}

TEST_CASE("no credit, or at the high-water mark: it waits in the store") {
  CHECK(step(8, {7, false}, {0, 0, 64 * 1024}) == CarriedStep::read_store);
  CHECK(step(8, {7, false}, {10, 64 * 1024, 64 * 1024}) == CarriedStep::read_store);
  CHECK(step(8, {7, false}, {10, 64 * 1024 - 1, 64 * 1024}) == CarriedStep::send_now);
}

TEST_CASE("seq 0 is a wake without a message: always a store read") {
  CHECK(step(0, {0, false}) == CarriedStep::read_store);
  CHECK(step(0, {7, false}, {0, 0, 1}) == CarriedStep::read_store);
}

TEST_CASE("room counts the credit and the bytes queued; store reads ask for the credit, capped") {
  CHECK(DownlinkRoom{1, 0, 1}.any());
  CHECK_FALSE(DownlinkRoom{0, 0, 1}.any());
  CHECK_FALSE(DownlinkRoom{5, 1, 1}.any());
  CHECK(store_read_count(3) == 3);
  CHECK(store_read_count(1000) == kStoreReadBatch);
}
