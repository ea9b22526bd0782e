// The receiving side of one direction: dedup, the app's acknowledgements, delayed and coalesced
// acks, and the credit we grant the sender.
//
//   processed_through   last_delivered                      seq -->
//   ---------|== delivered, app busy ==|    (at most `window` publishes in flight)
//
// - A QoS 1 publish with seq <= last_delivered is a duplicate (a resend after resume): it is
//   dropped, not delivered, and acknowledged again. Gaps are allowed (expired messages).
// - A QoS 0 publish is never resent, so it has no seq of its own and is never a duplicate; it
//   still costs credit and is processed like any other message.
// - The app acknowledges cumulatively. An ack goes out once `ack_every` messages are processed or
//   `ack_delay` after the first unacknowledged one, whichever is first; acks ride with credit.
// - The sender starts with `window` credit; each publish uses one; once half the window has been
//   processed, that much is granted again. Credit follows the app's pace, not the socket's.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "kite/protocol/reason.h"

namespace kite::protocol {

using Millis = std::int64_t;  // a monotonic clock reading, always supplied by the caller

class ReceiveWindow {
 public:
  struct Settings {
    std::uint32_t window = 64;
    std::uint32_t ack_every = 16;
    Millis ack_delay = 20;
  };

  // A new connection: dedup continues from `last_delivered`; the sender gets a full window.
  void open(const Settings& settings, std::uint64_t last_delivered);

  enum class Verdict { Deliver, Duplicate, NoCredit };
  Verdict on_publish(std::uint64_t seq, Millis now);
  // A QoS 0 publish: no seq of its own, never a duplicate; the app acknowledges it as
  // last_delivered() (the seq it arrived after).
  Verdict on_unsequenced(Millis now);

  // The app processed every delivered publish up to `seq`. False if `seq` was never delivered.
  bool on_processed(std::uint64_t seq, Millis now);

  // What to send now: a cumulative ack (0 = none) and a credit grant (0 = none).
  struct Due {
    std::uint64_t ack = 0;
    std::uint32_t credit = 0;
  };
  Due take_due(Millis now);
  std::optional<Millis> ack_deadline() const;

  // Holds acks back while what was processed is not yet safe to confirm (kited's write-behind):
  // credit still follows processing, so the sender keeps going. confirm() then acknowledges up
  // to `seq` (at most what was processed); its result is the ack to send (0: none).
  void hold_acks(bool hold, Millis now);
  bool acks_held() const { return acks_held_; }
  std::uint64_t confirm(std::uint64_t seq);

  std::uint64_t last_delivered() const { return last_delivered_; }
  std::uint64_t processed_through() const { return processed_through_; }
  std::uint32_t credit_outstanding() const { return credit_outstanding_; }
  std::size_t unprocessed() const { return pending_.size() - pending_head_; }

 private:
  // Every session carries one, so the fields are ordered to pack (no std::optional, no holes).
  static constexpr Millis kNoDeadline = std::numeric_limits<Millis>::max();

  Settings settings_;
  std::uint64_t last_delivered_ = 0;
  std::uint64_t processed_through_ = 0;
  std::uint64_t last_ack_sent_ = 0;
  Millis ack_deadline_ = kNoDeadline;
  std::vector<std::uint64_t> pending_;  // delivered, not yet processed, increasing
  std::size_t pending_head_ = 0;
  std::uint32_t processed_unacked_ = 0;
  std::uint32_t processed_ungranted_ = 0;
  std::uint32_t credit_outstanding_ = 0;
  bool reack_ = false;  // a duplicate arrived: the sender needs our ack again
  bool acks_held_ = false;
};

}  // namespace kite::protocol
