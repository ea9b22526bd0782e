#include "core/held_acks.h"

namespace kite::server {

void HeldAcks::hold(protocol::Session& session, std::uint64_t ticket, std::uint64_t last_seq,
                    protocol::Millis now) {
  if (reads_.empty()) session.hold_acks(true, now);
  reads_.push_back({ticket, last_seq});
}

bool HeldAcks::release(const MessageStore& store, protocol::Session& session,
                       protocol::Millis now) {
  std::uint64_t through = 0;
  while (!reads_.empty() && store.written(reads_.front().ticket)) {
    through = reads_.front().last_seq;
    reads_.pop_front();
  }
  if (through != 0) session.confirm_through(through, now);
  if (reads_.empty()) session.hold_acks(false, now);
  return !reads_.empty();
}

}  // namespace kite::server
