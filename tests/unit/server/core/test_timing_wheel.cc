// The timing wheel: every entry fires at or after its deadline and at most one tick late, also
// across turns; cancel and reschedule from inside a callback work.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "core/timing_wheel.h"

using namespace kite::server;

namespace {

struct Timer : WheelEntry {
  Millis fired_at = -1;
};

}  // namespace

TEST_CASE("a deadline inside the current slot fires within one tick, not a turn later") {
  // Regression: advance() used to pass over the slot holding `now`, so a deadline later in that
  // slot waited a whole turn (40 s).
  TimingWheel wheel(10, 64, 1000);
  Timer t;
  wheel.schedule(t, 1007);
  for (Millis now = 1003; now <= 1100 && t.fired_at < 0; ++now)
    wheel.advance(now, [&](WheelEntry& e) { static_cast<Timer&>(e).fired_at = now; });
  CHECK(t.fired_at >= 1007);
  CHECK(t.fired_at <= 1007 + 10);
}

TEST_CASE("random deadlines, near and beyond a turn, fire on time when advanced irregularly") {
  std::mt19937 rng(7);
  TimingWheel wheel(10, 32, 0);  // one turn = 320 ms
  std::vector<Timer> timers(2000);
  for (auto& t : timers) wheel.schedule(t, static_cast<Millis>(rng() % 2000));
  CHECK(wheel.size() == timers.size());
  Millis now = 0;
  while (now < 2100) {
    now += 1 + static_cast<Millis>(rng() % 7);
    wheel.advance(now, [&](WheelEntry& e) { static_cast<Timer&>(e).fired_at = now; });
  }
  CHECK(wheel.size() == 0);
  for (const auto& t : timers) {
    REQUIRE(t.fired_at >= 0);
    CHECK(t.fired_at >= t.deadline);
    CHECK(t.fired_at <= t.deadline + 10 + 7);  // one tick, plus the advance step
  }
}

TEST_CASE("cancel, reschedule from a callback, and deadlines in the past") {
  TimingWheel wheel(10, 16, 0);
  Timer a, b, c;
  wheel.schedule(a, 50);
  wheel.schedule(b, 50);
  wheel.cancel(b);
  CHECK_FALSE(b.scheduled());
  int a_fired = 0;
  wheel.advance(60, [&](WheelEntry& e) {
    if (&e == &a && ++a_fired == 1) wheel.schedule(a, 120);  // again, later
  });
  CHECK(a_fired == 1);
  CHECK(a.scheduled());
  wheel.advance(130, [&](WheelEntry& e) {
    if (&e == &a) ++a_fired;
  });
  CHECK(a_fired == 2);
  wheel.schedule(c, 5);  // already past: fires on the next advance that completes a slot
  bool c_fired = false;
  wheel.advance(140, [&](WheelEntry& e) { c_fired = &e == &c; });
  CHECK(c_fired);
}

TEST_CASE("a long pause (more than a turn) fires everything due") {
  TimingWheel wheel(10, 8, 0);  // one turn = 80 ms
  std::vector<Timer> timers(50);
  for (std::size_t i = 0; i < timers.size(); ++i)
    wheel.schedule(timers[i], static_cast<Millis>(i * 7));
  wheel.advance(1000, [](WheelEntry& e) { static_cast<Timer&>(e).fired_at = 1000; });
  wheel.advance(1100, [](WheelEntry& e) { static_cast<Timer&>(e).fired_at = 1100; });
  for (const auto& t : timers) CHECK(t.fired_at >= 0);
}
