// Logs of kited processes kept for the current test case, printed only when it fails: a doctest
// listener prints them after the test (when its KitedProcess objects are already gone).
#pragma once

#include <string>

namespace kite::it {

// Keeps `log` (the tail of it) under `label` until the current test case ends.
void keep_log_for_failure(const std::string& label, const std::string& log);

}  // namespace kite::it
