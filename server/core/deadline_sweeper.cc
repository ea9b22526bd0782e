#include "core/deadline_sweeper.h"

#include <algorithm>

#include "common/log.h"
#include "common/wall_clock.h"

namespace kite::server {

DeadlineSweeper::DeadlineSweeper(MessageStore& store, const Router& router,
                                 events::EventLog* events, Settings settings, NoticeSink sink)
    : store_(store),
      router_(router),
      events_(events),
      settings_(settings),
      sink_(std::move(sink)) {}

DeadlineSweeper::~DeadlineSweeper() {
  stop();
}

void DeadlineSweeper::start() {
  thread_ = std::thread([this] { run(); });
}

void DeadlineSweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeadlineSweeper::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    sweep_due(static_cast<std::uint64_t>(wall_clock_ms()));
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(settings_.interval_ms),
                   [this] { return stopping_; });
  }
}

std::uint64_t DeadlineSweeper::sweep_due(std::uint64_t now_ms) {
  std::uint64_t removed = 0, fallbacks = 0;
  const auto started = wall_clock_ms();
  for (;;) {
    const SweepResult result = store_.sweep(now_ms, settings_.slice);
    removed += result.expired;
    fallbacks += result.fallbacks;
    publish_notices();  // each slice's, so readers see a long sweep as it goes
    if (!result.more) break;
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  publish_notices();  // what enqueue, read and discard left since the last pass
  if (removed + fallbacks != 0)
    KITE_LOG(info, "store.swept",
             {{"expired", removed}, {"fallbacks", fallbacks}, {"ms", wall_clock_ms() - started}});
  // Reclaim once a large sweep is over (a pass finds nothing more), so a backlog is compacted once,
  // not slice by slice; under a steady flow of expiries, every kReclaimAfter x 10.
  removed_since_reclaim_ += removed;
  const bool backlog_done = removed == 0 && removed_since_reclaim_ >= kReclaimAfter;
  if (backlog_done || removed_since_reclaim_ >= 10 * kReclaimAfter) {
    const auto reclaim_started = wall_clock_ms();
    store_.reclaim();
    KITE_LOG(info, "store.reclaimed",
             {{"removed", removed_since_reclaim_}, {"ms", wall_clock_ms() - reclaim_started}});
    removed_since_reclaim_ = 0;
  }
  return removed;
}

void DeadlineSweeper::publish_notices() {
  notices_.clear();
  store_.take_notices(notices_);
  if (notices_.empty()) return;
  const std::int64_t now = wall_clock_ms();
  batch_.clear();
  for (MessageNotice& notice : notices_) {
    if (notice.at_ms == 0) notice.at_ms = static_cast<std::uint64_t>(now);
    if (sink_) sink_(notice);
    const auto time = static_cast<std::int64_t>(notice.at_ms);
    const events::MessageRef message{notice.seq, notice.message_id,
                                     notice.at_ms - std::min(notice.at_ms, notice.enqueued_at_ms)};
    switch (notice.kind) {
      case MessageNotice::Kind::Expired:
        if (records(events::EventType::Expired)) batch_.expired(notice.device, time, message);
        break;
      case MessageNotice::Kind::Dropped:
        if (records(events::EventType::Dropped))
          batch_.dropped(notice.device, time, message, notice.reason);
        break;
      case MessageNotice::Kind::Undelivered:
        if (records(events::EventType::Undelivered))
          batch_.undelivered(notice.device, time, message, router_.find(notice.device).has_value(),
                             notice.cancelled);
        break;
      case MessageNotice::Kind::Replaced:  // for the status book only: conflation is routine
        break;
    }
  }
  if (!batch_.empty()) events_->append(batch_, now);
}

}  // namespace kite::server
