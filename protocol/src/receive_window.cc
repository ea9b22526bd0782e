#include "kite/protocol/receive_window.h"

#include <algorithm>

namespace kite::protocol {

void ReceiveWindow::open(const Settings& settings, std::uint64_t last_delivered) {
  settings_ = settings;
  settings_.window = std::max<std::uint32_t>(settings_.window, 1);
  settings_.ack_every = std::clamp<std::uint32_t>(settings_.ack_every, 1, settings_.window);
  last_delivered_ = last_delivered;
  processed_through_ = last_delivered;
  last_ack_sent_ = last_delivered;
  reack_ = false;
  processed_unacked_ = 0;
  processed_ungranted_ = 0;
  credit_outstanding_ = settings_.window;
  ack_deadline_ = kNoDeadline;
  pending_.clear();
  pending_head_ = 0;
}

ReceiveWindow::Verdict ReceiveWindow::on_publish(std::uint64_t seq, Millis now) {
  if (credit_outstanding_ == 0) return Verdict::NoCredit;
  --credit_outstanding_;
  if (seq <= last_delivered_) {
    // Nothing for the app, but the sender must hear that we hold it.
    reack_ = true;
    ++processed_ungranted_;
    if (ack_deadline_ == kNoDeadline) ack_deadline_ = now + settings_.ack_delay;
    return Verdict::Duplicate;
  }
  last_delivered_ = seq;
  if (pending_head_ > 0 && pending_head_ * 2 >= pending_.size()) {  // keep it within the window
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
  pending_.push_back(seq);
  return Verdict::Deliver;
}

ReceiveWindow::Verdict ReceiveWindow::on_unsequenced(Millis /*now*/) {
  if (credit_outstanding_ == 0) return Verdict::NoCredit;
  --credit_outstanding_;
  if (pending_head_ > 0 && pending_head_ * 2 >= pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
  pending_.push_back(last_delivered_);  // processed along with what it arrived after
  return Verdict::Deliver;
}

bool ReceiveWindow::on_processed(std::uint64_t seq, Millis now) {
  if (seq > last_delivered_) return false;
  std::uint32_t count = 0;
  while (pending_head_ < pending_.size() && pending_[pending_head_] <= seq) {
    ++pending_head_;
    ++count;
  }
  if (count == 0) return true;
  processed_through_ = std::max(processed_through_, seq);
  processed_unacked_ += count;
  processed_ungranted_ += count;
  if (ack_deadline_ == kNoDeadline) ack_deadline_ = now + settings_.ack_delay;
  return true;
}

ReceiveWindow::Due ReceiveWindow::take_due(Millis now) {
  Due due;
  bool have_ack = processed_through_ > last_ack_sent_ || reack_;
  bool credit_due = processed_ungranted_ >= std::max<std::uint32_t>(settings_.window / 2, 1);
  if (credit_due) {
    due.credit = processed_ungranted_;
    credit_outstanding_ += processed_ungranted_;
    processed_ungranted_ = 0;
  }
  bool ack_due = processed_unacked_ >= settings_.ack_every ||
                 (ack_deadline_ != kNoDeadline && now >= ack_deadline_) || due.credit > 0;
  if (acks_held_) {
    ack_deadline_ = kNoDeadline;  // confirm() says when
  } else if (have_ack && ack_due) {
    due.ack = processed_through_;
    last_ack_sent_ = processed_through_;
    processed_unacked_ = 0;
    reack_ = false;
    ack_deadline_ = kNoDeadline;
  } else if (!have_ack) {
    ack_deadline_ = kNoDeadline;
  }
  return due;
}

void ReceiveWindow::hold_acks(bool hold, Millis now) {
  acks_held_ = hold;
  // Released: whatever was processed meanwhile is acknowledged at once.
  if (!hold && processed_through_ > last_ack_sent_) ack_deadline_ = now;
}

std::uint64_t ReceiveWindow::confirm(std::uint64_t seq) {
  seq = std::min(seq, processed_through_);
  if (seq <= last_ack_sent_) return 0;
  last_ack_sent_ = seq;
  processed_unacked_ = 0;
  return seq;
}

std::optional<Millis> ReceiveWindow::ack_deadline() const {
  if (ack_deadline_ == kNoDeadline) return std::nullopt;
  return ack_deadline_;
}

}  // namespace kite::protocol
