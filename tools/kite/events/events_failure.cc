#include "events/events_failure.h"

namespace kite::cli {

std::string describe_events_failure(const ApiAnswer& answer, const std::string& url) {
  std::string line = describe_failure(answer, url);
  if (answer.status == 404 && answer.body.is_object() &&
      answer.body.value("title", std::string()) == "Event stream off")
    line +=
        ". kited keeps no events: set events.retention_events above 0 (kited.toml [events], "
        "docs/server.md) and restart it";
  return line;
}

bool worth_retrying(const ApiAnswer& answer) {
  return answer.status == 0 || answer.status >= 500;
}

}  // namespace kite::cli
