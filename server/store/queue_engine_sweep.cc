// QueueEngine::sweep(): the deadlines that fell due, a slice at a time. See message_store.h for
// what it promises and queue_engine.h for the locking rules.
//
// A slice is read from the deadline index first (outside any device lock), then the devices it
// names are locked in the global order and the whole slice is decided and written in one
// transaction: its removals, its meta records and the deletion of its index entries. An entry
// whose message is gone (acked, dropped, replaced) is stale and only deleted.
#include <string>
#include <vector>

#include "store/queue_engine.h"
#include "store/queue_engine_counters.h"

namespace kite::server::store {

SweepResult QueueEngine::sweep(std::uint64_t now_ms, std::size_t max_entries) {
  std::lock_guard sweeping(sweep_mutex_);
  SweepResult result;
  std::vector<Due> due;
  const Deadline* after = sweep_cursor_.device.empty() ? nullptr : &sweep_cursor_.deadline;
  backend_->scan_deadlines(after, now_ms, max_entries, [&](const Deadline& deadline) {
    due.push_back({deadline, std::string(deadline.device)});
  });
  for (Due& item : due) item.deadline.device = item.device;  // views into `due` only now: stable
  result.visited = due.size();
  result.more = max_entries != 0 && due.size() == max_entries;
  // A pass that is over, or a slice that was not written, starts the next call from the
  // beginning (an entry placed before the cursor, by a clock step back, is found then too).
  sweep_cursor_ = {};
  if (due.empty()) return result;
  if (!healthy()) recover();
  if (auto why = backend_->no_room(false); !why.empty()) {
    refused_for_room(why);
    result = {};
    return result;
  }
  auto locks = lock_all(due, [](const Due& item) { return std::string_view(item.device); });
  auto txn = backend_->begin();
  Counters counters;
  Touched touched;
  std::vector<Victim> removed;
  for (const Due& item : due) {
    sweep_one(*txn, item.deadline, now_ms, touched, counters, removed, result);
    txn->delete_deadline(item.deadline);
  }
  if (!finish(*txn, false, true, touched, nullptr, true)) {  // logged; tried again next sweep
    result.expired = result.fallbacks = 0;
    result.more = false;  // not at once: a failing store is not hammered slice after slice
    return result;
  }
  release(removed);
  apply(counters);
  if (result.more) {  // the next slice of this pass starts after this one
    sweep_cursor_.device = due.back().device;
    sweep_cursor_.deadline = due.back().deadline;
    sweep_cursor_.deadline.device = sweep_cursor_.device;
  }
  return result;
}

void QueueEngine::sweep_one(Transaction& txn, const Deadline& deadline, std::uint64_t now_ms,
                            Touched& touched, Counters& counters, std::vector<Victim>& removed,
                            SweepResult& result) {
  CachedDevice& cached = load(txn, deadline.device, touched);
  DeviceMeta& meta = cached.meta;
  if (deadline.seq <= meta.gone_through || deadline.seq <= meta.acked_through) return;
  std::vector<Victim> found;
  txn.scan(deadline.device, deadline.seq - 1, [&](const MessageView& m) {
    if (m.seq == deadline.seq) found.push_back(Victim::of(m, m.expired(now_ms)));
    return false;
  });
  if (found.empty()) return;  // stale: the message went another way
  const bool expiry = deadline.kind == Deadline::Kind::Expiry;
  if (expiry && !found.front().expired) return;  // a clock step back: a later sweep takes it
  if (expiry) {
    ++counters.expired;
    ++counters.swept;
    ++result.expired;
    counters.notices.push_back(
        notice_of(deadline.device, found.front(), MessageNotice::Kind::Expired, "", now_ms));
  } else {
    ++counters.undelivered;
    ++result.fallbacks;
    MessageNotice notice =
        notice_of(deadline.device, found.front(), MessageNotice::Kind::Undelivered, "", now_ms);
    notice.cancelled = deadline.cancel;
    counters.notices.push_back(std::move(notice));
    if (!deadline.cancel) return;
    ++counters.cancelled;
  }
  remove(txn, deadline.device, meta, found);
  cached.erase(deadline.seq);
  cached.reindex_if_empty();
  txn.put_meta(deadline.device, meta);
  removed.push_back(std::move(found.front()));
}

}  // namespace kite::server::store
