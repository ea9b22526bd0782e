// --rate of the p2p and uplink scenarios: a token bucket the run spends one token per message
// from. It is refilled every millisecond by the time that really passed: a busy loop fires a
// 1 ms timer less often than every millisecond, and counting ticks instead would send below the
// asked rate. It holds at most 10 ms' worth (at least one token), so that a loop that stalled
// does not catch up in one burst.
#pragma once

#include <functional>

#include "raw_client/client_loop.h"

namespace kite::bench {

// With `rate` > 0 (messages per second), every millisecond on `loop`: unless `refilling()` is
// false (the time then passes unrefilled), adds to `tokens` what `rate` earned since the last
// tick, then calls `spend()`, which takes a token from `tokens` per message it sends. Nothing
// with `rate` 0 (unpaced). `tokens` must outlive the loop's run.
void pace_at_rate(ClientLoop& loop, double rate, double& tokens, std::function<bool()> refilling,
                  std::function<void()> spend);

}  // namespace kite::bench
