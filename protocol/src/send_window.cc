#include "kite/protocol/send_window.h"

#include <algorithm>

#include "kite/protocol/limits.h"

namespace kite::protocol {

void SendWindow::open(std::uint64_t next_seq, std::uint64_t acked_through, std::uint32_t credit) {
  next_seq_ = std::max<std::uint64_t>({next_seq, acked_through + 1, 1});
  acked_through_ = acked_through;
  last_sent_here_ = acked_through;  // anything at or below it would be a duplicate
  credit_ = std::min(credit, limits::kMaxCredit);
}

void SendWindow::sent(std::uint64_t seq) {
  --credit_;
  last_sent_here_ = seq;
  if (seq >= next_seq_) next_seq_ = seq + 1;
}

Reason SendWindow::on_ack(std::uint64_t seq, bool& advanced) {
  advanced = false;
  if (seq > last_sent_here_) return Reason::InvalidAck;  // never sent
  if (seq <= acked_through_) return Reason::None;        // late or repeated: harmless
  acked_through_ = seq;
  advanced = true;
  return Reason::None;
}

Reason SendWindow::on_credit(std::uint32_t grant) {
  if (grant == 0 || credit_ + std::uint64_t{grant} > limits::kMaxCredit)
    return Reason::LimitExceeded;
  credit_ += grant;
  return Reason::None;
}

}  // namespace kite::protocol
