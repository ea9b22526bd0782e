// A connection's lifecycle without a socket: the stages move only along the drawing, and what
// each stage holds (connection_lifecycle.h) is what its releases expect.
#include <doctest/doctest.h>

#include "core/connection_lifecycle.h"

using kite::server::ConnectionLifecycle;
using Stage = ConnectionLifecycle::Stage;

TEST_CASE("a device's whole life: each resource is held exactly between its two arrows") {
  ConnectionLifecycle life;
  life.count_by_gate(true);
  CHECK(life.stage() == Stage::Accepted);
  CHECK_FALSE(life.holds_admission());

  CHECK(life.admit());
  CHECK(life.holds_admission());
  CHECK_FALSE(life.holds_route());

  CHECK(life.welcome());
  CHECK(life.holds_admission());  // until the session opens
  CHECK(life.holds_route());
  CHECK_FALSE(life.counted_open());

  CHECK(life.open());
  CHECK_FALSE(life.holds_admission());
  CHECK(life.holds_route());
  CHECK(life.counted_open());

  CHECK(life.close());
  CHECK(life.closing());
  CHECK_FALSE(life.holds_route());
  CHECK_FALSE(life.counted_open());
  CHECK_FALSE(life.holds_admission());  // released when it opened
  CHECK(life.holds_gate_count());       // until the socket is closed
}

TEST_CASE("a handshake that never opens keeps its admission until the socket is closed") {
  for (int reached = 0; reached < 2; ++reached) {
    ConnectionLifecycle life;
    life.admit();
    if (reached == 1) life.welcome();  // welcomed, but accept() failed
    CHECK(life.close());
    CHECK(life.holds_admission());
    CHECK_FALSE(life.holds_route());
  }
  ConnectionLifecycle refused_at_accept;  // over the per-IP cap: never admitted
  CHECK(refused_at_accept.close());
  CHECK_FALSE(refused_at_accept.holds_admission());
  CHECK_FALSE(refused_at_accept.holds_gate_count());
}

TEST_CASE("transitions off the drawing are refused and change nothing") {
  ConnectionLifecycle life;
  CHECK_FALSE(life.welcome());  // no welcome before admission
  CHECK_FALSE(life.open());
  CHECK(life.stage() == Stage::Accepted);
  life.admit();
  CHECK_FALSE(life.admit());
  CHECK_FALSE(life.open());  // no session opens without its welcome
  CHECK(life.stage() == Stage::Handshaking);
  life.close();
  CHECK_FALSE(life.close());  // Closing is entered once
  CHECK_FALSE(life.welcome());
  CHECK(life.stage() == Stage::Closing);
}
