#include "kite/protocol/session_context.h"

#include "announced.h"

namespace kite::protocol {

SessionContext::SessionContext(SessionConfig config)
    : config_(std::move(config)), encoder_(config_.dictionaries), bodies_(config_.dictionaries) {
  // Our own announcements must be ones a peer reads the same way (see announced.h).
  config_.receive_window = std::clamp<std::uint32_t>(config_.receive_window, 1, limits::kMaxCredit);
  config_.max_frame = announced_max_frame(config_.max_frame);
  encoder_.compression() = config_.compression;
}

}  // namespace kite::protocol
