#include "core/reason_counters.h"

namespace kite::server {

std::size_t ReasonCounters::slot(protocol::Reason reason) {
  const auto value = static_cast<std::size_t>(reason);
  // reason_name() says "Unknown" for the gaps of the list (8-19, 27-39...) and beyond its end.
  if (value >= kKnown || protocol::reason_name(reason) == "Unknown") return kUnknown;
  return value;
}

std::string ReasonCounters::label(std::size_t slot, bool by_peer) {
  std::string name = slot >= kUnknown
                         ? "Unknown"
                         : std::string(protocol::reason_name(static_cast<protocol::Reason>(slot)));
  return by_peer ? "peer:" + name : name;
}

}  // namespace kite::server
