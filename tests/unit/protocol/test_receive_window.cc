// ReceiveWindow's ack hold (kited's write-behind): credit keeps following processing while acks
// wait for confirm(), and releasing the hold acknowledges what was processed meanwhile.
#include <doctest/doctest.h>

#include "kite/protocol/receive_window.h"

using kite::protocol::ReceiveWindow;

namespace {

ReceiveWindow opened() {
  ReceiveWindow window;
  window.open({.window = 8, .ack_every = 2, .ack_delay = 20}, 0);
  return window;
}

void deliver_and_process(ReceiveWindow& window, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t seq = from; seq <= to; ++seq) {
    REQUIRE(window.on_publish(seq, 0) == ReceiveWindow::Verdict::Deliver);
    REQUIRE(window.on_processed(seq, 0));
  }
}

}  // namespace

TEST_CASE(
    "receive window: held acks still grant credit, and confirm() acks no further than asked") {
  ReceiveWindow window = opened();
  window.hold_acks(true, 0);
  deliver_and_process(window, 1, 4);
  auto due = window.take_due(1000);
  CHECK(due.ack == 0);     // held, however long it has been
  CHECK(due.credit == 4);  // the sender keeps going
  CHECK(window.confirm(3) == 3);
  CHECK(window.confirm(3) == 0);   // said already
  CHECK(window.confirm(99) == 4);  // never past what was processed
  CHECK(window.take_due(2000).ack == 0);
}

TEST_CASE("receive window: releasing the hold acknowledges what was processed meanwhile") {
  ReceiveWindow window = opened();
  window.hold_acks(true, 0);
  deliver_and_process(window, 1, 3);
  CHECK(window.take_due(5).ack == 0);
  window.hold_acks(false, 10);
  CHECK(window.take_due(10).ack == 3);
  deliver_and_process(window, 4, 5);  // ack_every = 2: acked as usual again
  CHECK(window.take_due(11).ack == 5);
}
