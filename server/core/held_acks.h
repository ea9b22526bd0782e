// A service's acks held until the messages they confirm are written (write-behind: the store's
// deferred calls, message_store.h), so an ack still means "durably queued" to the backend, or
// until every one of them was acknowledged by its device (the read's settle group), whichever
// comes first: a delivered message has nothing left to lose. One entry per read, released in
// order. Credit is not held: the session grants it as publishes are
// processed (receive_window.h), so a service keeps sending at full speed while its acks trail by
// at most one group commit.
#pragma once

#include <cstdint>
#include <deque>

#include "kite/protocol/session.h"
#include "store/message_store.h"

namespace kite::server {

class HeldAcks {
 public:
  bool empty() const { return reads_.empty(); }
  // What a read waits for: its store ticket written, or its settle group settled.
  struct Wait {
    std::uint64_t ticket = 0, settle_group = 0;
  };
  // The read whose last publish is `last_seq` is final once `wait` is over. Called before the
  // read's publishes are acknowledged to the session, which then sends no ack for them.
  void hold(protocol::Session& session, Wait wait, std::uint64_t last_seq, protocol::Millis now);
  // Acks every read that is final, in order; true while some are still held.
  bool release(const MessageStore& store, protocol::Session& session, protocol::Millis now);

 private:
  struct Read {
    Wait wait;
    std::uint64_t last_seq = 0;
  };
  std::deque<Read> reads_;
};

}  // namespace kite::server
