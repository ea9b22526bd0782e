// DeadlineSweeper: the thread that keeps queued messages' deadlines for every device, online or
// not. It asks the store to sweep what fell due (expired messages go, fallback deadlines fire) a
// slice at a time, and turns the store's notices into events: `expired`, `dropped` and
// `undelivered` (with whether the device is online now).
//
// Rules it keeps:
//  - It never runs on a loop: a sweep of 100,000 messages stalls no worker or the admin API. A
//    slice locks only the devices it names, for one store write; loops meet it only on those.
//  - Slices follow each other at once while deadlines are due, then it sleeps interval_ms.
//  - Once a sweep that removed many messages is over, it asks the store to give their disk space
//    back (RocksDB compacts only when writes come, and an idle fleet writes nothing).
//  - Every notice is shown once, in the order the store gave it, to the event log (when the type
//    is recorded) and to the notice sink (the message status book).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/registry.h"
#include "events/event_log.h"
#include "store/message_store.h"

namespace kite::server {

class DeadlineSweeper {
 public:
  struct Settings {
    std::uint64_t interval_ms = 1000;  // between sweeps once nothing is due
    std::size_t slice = 512;           // deadlines per store write
    std::uint8_t event_types = 0;      // bit per events::EventType recorded
  };
  // Removals after which the disk space is given back (store.reclaim()), once nothing more is due.
  static constexpr std::uint64_t kReclaimAfter = 10'000;
  using NoticeSink = std::function<void(const MessageNotice&)>;

  // `events` may be null (no event log); the others outlive the sweeper.
  DeadlineSweeper(MessageStore& store, const Router& router, events::EventLog* events,
                  Settings settings, NoticeSink sink = {});
  ~DeadlineSweeper();  // stops and joins the thread
  DeadlineSweeper(const DeadlineSweeper&) = delete;
  DeadlineSweeper& operator=(const DeadlineSweeper&) = delete;

  void start();
  void stop();
  // One pass until nothing is due (the thread's work; tests call it directly). Returns the
  // messages it removed.
  std::uint64_t sweep_due(std::uint64_t now_ms);

 private:
  void run();
  void publish_notices();
  bool records(events::EventType type) const {
    return events_ != nullptr && (settings_.event_types >> static_cast<unsigned>(type) & 1) != 0;
  }

  MessageStore& store_;
  const Router& router_;
  events::EventLog* const events_;
  const Settings settings_;
  const NoticeSink sink_;
  std::vector<MessageNotice> notices_;  // reused by publish_notices()
  events::EventBatch batch_;
  std::uint64_t removed_since_reclaim_ = 0;

  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kite::server
