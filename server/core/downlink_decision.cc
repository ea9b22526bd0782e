#include "core/downlink_decision.h"

namespace kite::server {

CarriedStep carried_step(std::uint64_t seq, std::uint64_t expires_at_ms,
                         const DownlinkPosition& position, const DownlinkRoom& room,
                         std::uint64_t wall_ms) {
  if (seq == 0) return CarriedStep::read_store;
  if (seq <= position.last_sent) return CarriedStep::skip;
  const bool in_order = !position.backlog && seq == position.last_sent + 1 &&
                        (expires_at_ms == 0 || expires_at_ms > wall_ms);
  return in_order && room.any() ? CarriedStep::send_now : CarriedStep::read_store;
}

}  // namespace kite::server
