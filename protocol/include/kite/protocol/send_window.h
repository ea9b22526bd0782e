// The sending side of one direction: sequence numbers, the credit the peer granted us, and what
// the peer has acknowledged.
//
//        acked_through       last_sent_here   next_seq
//   ... ----|==== in flight ====|---------------|--> seq
//
// QoS 1 publishes on one connection go out in strictly increasing seq order (stored messages
// first, then new ones); QoS 0 publishes take no seq. Each publish costs one credit, and acks may
// only move forward over what was sent.
#pragma once

#include <cstdint>

#include "kite/protocol/reason.h"

namespace kite::protocol {

class SendWindow {
 public:
  // A new connection: `next_seq` continues the history, `acked_through` is what the peer said it
  // already holds (its last received seq), `credit` is the peer's grant.
  void open(std::uint64_t next_seq, std::uint64_t acked_through, std::uint32_t credit);

  std::uint32_t credit() const { return credit_; }
  std::uint64_t next_seq() const { return next_seq_; }
  std::uint64_t acked_through() const { return acked_through_; }
  std::uint64_t last_sent() const { return last_sent_here_; }

  // Whether a publish with `seq` may go out now (credit and order).
  bool can_send(std::uint64_t seq) const { return credit_ > 0 && seq > last_sent_here_; }
  // Records that `seq` went out.
  void sent(std::uint64_t seq);
  // Records that a QoS 0 publish went out: it costs credit, not a seq.
  void sent_unsequenced() { --credit_; }

  // Cumulative ack from the peer; sets `advanced` when it acknowledged something new.
  Reason on_ack(std::uint64_t seq, bool& advanced);
  Reason on_credit(std::uint32_t grant);

 private:
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_through_ = 0;
  std::uint64_t last_sent_here_ = 0;  // highest seq sent on this connection
  std::uint32_t credit_ = 0;
};

}  // namespace kite::protocol
