#include "core/held_acks.h"

namespace kite::server {

void HeldAcks::hold(protocol::Session& session, Wait wait, std::uint64_t last_seq,
                    protocol::Millis now) {
  if (reads_.empty()) session.hold_acks(true, now);
  reads_.push_back({wait, last_seq});
}

bool HeldAcks::release(const MessageStore& store, protocol::Session& session,
                       protocol::Millis now) {
  std::uint64_t through = 0;
  auto final = [&store](const Wait& wait) {
    return store.written(wait.ticket) || store.settled(wait.settle_group);
  };
  while (!reads_.empty() && final(reads_.front().wait)) {
    through = reads_.front().last_seq;
    reads_.pop_front();
  }
  if (through != 0) session.confirm_through(through, now);
  if (reads_.empty()) session.hold_acks(false, now);
  return !reads_.empty();
}

}  // namespace kite::server
