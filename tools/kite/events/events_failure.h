// What `kite events` makes of an answer that is not events: the line that says what went wrong
// and what to do (common/api_client.h's, with the fix for a stream that is off), and whether it
// is worth trying again once reading has worked (kited restarting, or briefly full).
#pragma once

#include <string>

#include "common/api_client.h"

namespace kite::cli {

std::string describe_events_failure(const ApiAnswer& answer, const std::string& url);

// No answer (kited down or restarting) or a 5xx: try again after a back-off.
bool worth_retrying(const ApiAnswer& answer);

}  // namespace kite::cli
