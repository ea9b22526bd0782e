// QueueEngine: what it reports. Its counters (stats()) and the notices of messages that left a
// queue undelivered (take_notices()), both changed only by calls whose write succeeded.
#include <algorithm>

#include "store/queue_engine.h"
#include "store/queue_engine_counters.h"

namespace kite::server::store {

MessageNotice QueueEngine::notice_of(std::string_view device, const Victim& victim,
                                     MessageNotice::Kind kind, const char* reason,
                                     std::uint64_t now_ms) {
  return {kind,
          std::string(device),
          victim.message_id,
          victim.seq,
          victim.enqueued_at_ms,
          now_ms,
          reason,
          false};
}

// The outbox is bounded: nobody taking notices (a store in a test, a stalled sweeper) must not
// grow memory without end. The oldest go first; the loss is counted.
void QueueEngine::publish(std::vector<MessageNotice>& notices) {
  if (notices.empty()) return;
  std::lock_guard lock(notices_mutex_);
  for (MessageNotice& notice : notices) notices_.push_back(std::move(notice));
  notices.clear();
  if (notices_.size() <= kMaxNotices) return;
  const std::size_t excess = notices_.size() - kMaxNotices;
  notices_.erase(notices_.begin(), notices_.begin() + static_cast<std::ptrdiff_t>(excess));
  stats_.notices_lost += excess;
}

void QueueEngine::take_notices(std::vector<MessageNotice>& out) {
  std::lock_guard lock(notices_mutex_);
  out.insert(out.end(), std::make_move_iterator(notices_.begin()),
             std::make_move_iterator(notices_.end()));
  notices_.clear();
}

void QueueEngine::apply(Counters& c) {
  publish(c.notices);
  stats_.swept += c.swept;
  stats_.undelivered += c.undelivered;
  stats_.cancelled += c.cancelled;
  stats_.enqueued += c.enqueued;
  stats_.expired += c.expired;
  stats_.dropped_full += c.dropped_full;
  stats_.rejected_full += c.rejected_full;
  stats_.conflated += c.conflated;
  stats_.duplicates += c.duplicates;
  stats_.idempotency_refused += c.idempotency_refused;
}

StoreStats QueueEngine::stats() const {
  StoreStats s;
  {
    std::lock_guard lock(totals_mutex_);
    s.messages = totals_.messages;
    s.bytes = totals_.bytes;
  }
  s.enqueued = stats_.enqueued;
  s.unwritten = backend_->unwritten();
  s.acked = stats_.acked;
  s.expired = stats_.expired;
  s.dropped_full = stats_.dropped_full;
  s.rejected_full = stats_.rejected_full;
  s.conflated = stats_.conflated;
  s.duplicates = stats_.duplicates;
  s.errors = stats_.errors;
  s.dropped_too_large = stats_.dropped_too_large;
  s.idempotency_records = idempotency_.counted();
  s.idempotency_refused = stats_.idempotency_refused;
  s.writes = stats_.writes;
  s.recoveries = stats_.recoveries;
  s.swept = stats_.swept;
  s.undelivered = stats_.undelivered;
  s.cancelled = stats_.cancelled;
  s.notices_lost = stats_.notices_lost;
  return s;
}

}  // namespace kite::server::store
