// TimeOrder: events that arrive a little out of time order (a recording's held handshakes) go
// out in time order once the window has passed; one connection's events keep their own order
// even when their clock steps back; equal times keep their arrival order; memory is bounded.
#include <doctest/doctest.h>

#include <string>

#include "capture_builders.h"
#include "kite/capture/capture_reader.h"
#include "kite/capture/time_order.h"

namespace kite::capture::test {
namespace {

Event event_at(std::int64_t time_ns, std::uint64_t connection, std::string label,
               EventKind kind = EventKind::Frame) {
  Event e;
  e.time_ns = time_ns;
  e.connection = ConnectionKey{0, connection, {}, {}};
  e.kind = kind;
  e.text = std::move(label);
  return e;
}

std::string drain(TimeOrder& order, bool flush) {
  std::string labels;
  for (Event e; order.pop(e, flush);) labels += e.text;
  return labels;
}

}  // namespace

TEST_CASE("time order: events wait for the window, then go out earliest first") {
  TimeOrder order(100);
  order.push(event_at(1000, 1, "b"));
  order.push(event_at(1050, 1, "c"));
  order.push(event_at(990, 2, "a"));   // older than what came before it (held by kited)
  CHECK(drain(order, false).empty());  // the newest (1050) is not 100 past any of them yet
  order.push(event_at(1095, 3, "d"));
  CHECK(drain(order, false) == "a");  // 1095 - 990 >= 100; b (95 behind) still waits
  order.push(event_at(2000, 3, "e"));
  CHECK(drain(order, false) == "bcd");
  CHECK(drain(order, true) == "e");
  CHECK(order.empty());
}

TEST_CASE("time order: a connection's own events keep their order when its clock steps back") {
  TimeOrder order(1'000);
  order.push(event_at(100, 1, "A1"));
  order.push(event_at(80, 1, "A2"));  // stamped earlier, but after A1 on the connection
  order.push(event_at(90, 2, "B1"));
  order.push(event_at(90, 3, "C1"));  // a tie: arrival order
  CHECK(drain(order, true) == "B1C1A1A2");

  // Once closed, a connection's clock is forgotten (the key may come back much later).
  order.push(event_at(500, 4, "x", EventKind::Closed));
  order.push(event_at(400, 4, "y"));
  order.push(event_at(450, 5, "z"));
  CHECK(drain(order, true) == "yzx");
}

TEST_CASE("time order: past the memory bound, the earliest goes out at once") {
  TimeOrder order(1'000'000'000, 1);
  order.push(event_at(5, 1, "late"));
  order.push(event_at(1, 2, "early"));
  CHECK(drain(order, false) == "earlylate");
}

TEST_CASE("time order: a recording whose held handshake was written late reads in time order") {
  PcapBuilder file(147);
  const std::int64_t t0 = 1'750'000'000'000'000'000;
  file.add(t0 + 10, record(0, 0, 1, raw_frame("one-a")))
      .add(t0 + 30, record(0, 1, 1, raw_frame("one-b")))
      .add(t0 + 5, record(1, 0, 2, bytes_of("10.0.0.2:1")))  // written once the hello came
      .add(t0 + 20, record(0, 0, 2, raw_frame("two-hello")))
      .add(t0 + 40, record(0, 0, 1, raw_frame("one-c")));
  std::vector<CaptureInput> inputs(1);
  inputs[0].name = "w0";
  inputs[0].source = std::make_unique<MemorySource>(file.bytes);
  CaptureReader reader(std::move(inputs));
  std::vector<std::int64_t> times;
  for (Event e; reader.next(e);) times.push_back(e.time_ns - t0);
  CHECK(times == std::vector<std::int64_t>{5, 10, 20, 30, 40});
}

}  // namespace kite::capture::test
