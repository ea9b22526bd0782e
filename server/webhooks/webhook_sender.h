// WebhookSender: one [[webhooks]] entry's thread, delivering the event log to its receiver.
//
// Rules it keeps:
//  - Order: it reads the log in id order from its cursor and has one batch in flight at a time,
//    so every device's events arrive in the order they happened (the log's order is global).
//  - At least once: the cursor (the last id delivered, or scanned past without a match) is saved
//    in the store after each delivered batch and loaded at start; a restart sends again at most
//    the batch that was in flight. Every event carries its id for the receiver to dedupe.
//  - A failed attempt (an answer other than 2xx, a timeout, a connection or TLS error) is tried
//    again with the same events after a back-off with full jitter (backoff.h); after
//    max_attempts the batch is dead-lettered: counted, logged with its ids, and skipped.
//  - Isolation: only this thread waits on the receiver. Workers append to the log as ever; the
//    log's retention bounds what a dead receiver can hold back (what it drops unsent is counted
//    as missed and logged).
//  - Idle, it looks for new events every kIdleMs: no busy polling, no hook in the log's hot path.
//  - In a cluster (with a SendLease), only the node holding the webhook's lease sends; it takes
//    the cursor the last holder saved in the shared store when it takes the lease, and checks
//    the lease before each read and attempt. The others stand by and save nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/log_limiter.h"
#include "config/config.h"
#include "core/group_directory.h"
#include "events/event_log.h"
#include "metrics/histogram.h"
#include "store/message_store.h"
#include "webhooks/http_post.h"
#include "webhooks/send_lease.h"

namespace kite::server::webhooks {

// Counters of one webhook, written by its thread, read by /metrics.
struct WebhookStats {
  std::atomic<std::uint64_t> delivered_events{0}, delivered_batches{0}, failed_attempts{0},
      dead_events{0}, missed_events{0};
  std::atomic<std::uint64_t> cursor{0};  // delivered through this id
  metrics::LatencyHistogram latency;     // of successful requests
};

class WebhookSender {
 public:
  static constexpr int kIdleMs = 20;
  static constexpr std::size_t kMaxBatchBytes = 4 * 1024 * 1024;  // of event data per request
  // The store's name for the cursor: ':' is not allowed in consumer group names.
  static std::string cursor_key(const std::string& name) { return "webhook:" + name; }

  static constexpr int kStandByMs = 500;  // a node without the lease asks for it this often
  // The lease outlasts a request's timeout by this much: a holder that stops is replaced after
  // timeout_ms + kLeaseSlackMs at most.
  static constexpr std::int64_t kLeaseSlackMs = 5'000;

  // `tls` null: plain HTTP. `store` null: the cursor is not kept across restarts. `lease`
  // (a cluster node's, or null) decides whether this node sends.
  WebhookSender(config::WebhookConfig config, std::string secret, SSL_CTX* tls,
                events::EventLog& log, const GroupDirectory& groups, MessageStore* store,
                SendLease* lease = nullptr);
  ~WebhookSender() { stop(); }

  void start();
  void stop();  // ends the thread; a batch in flight is sent again at the next start

  const std::string& name() const { return config_.name; }
  const WebhookStats& stats() const { return stats_; }
  // Events of the log after the cursor that this webhook wants (at most `cap` looked at).
  events::EventLog::Count lag(std::size_t cap) const;

 private:
  void run();
  bool wants(const events::EventView& event) const;  // type and device; with the log's lock held
  void fill(std::vector<events::Event>& batch);      // the next batch after the cursor
  void keep_group_members(std::vector<events::Event>& batch) const;
  enum class Outcome { done, stopped, lease_lost };
  // Sends `batch` until delivered or dead-lettered (done), stopped, or the lease is lost.
  Outcome deliver(const std::vector<events::Event>& batch);
  std::uint64_t saved_cursor() const;  // in the store; 0 for none
  // With a lease: whether this node sends now (taking the saved cursor when it becomes so).
  bool leading();
  // sleep_ms() through a back-off, renewing the lease: false when stopped or the lease is lost.
  bool wait_leading(std::uint64_t ms);
  PostResult attempt(const std::string& body);
  void log_failure(const PostResult& result, std::uint32_t attempt_no,
                   const std::vector<events::Event>& batch, bool dead);
  void advance(std::uint64_t through, bool save);
  bool sleep_ms(std::uint64_t ms);  // false when stopped meanwhile

  config::WebhookConfig config_;
  std::string secret_;
  std::uint8_t types_ = 0;            // bit 1 << EventType; 0 = all
  std::vector<std::string> devices_;  // sorted
  events::EventLog& log_;
  const GroupDirectory& groups_;
  MessageStore* store_;
  SendLease* lease_;
  std::atomic<bool> leading_{false};  // holds the lease (written by this thread only)
  HttpUrl url_;
  HttpPoster poster_;
  WebhookStats stats_;
  std::uint64_t scanned_ = 0;  // read through this id (the batch in flight ends here)
  std::uint64_t saved_ = 0;    // the cursor last written to the store
  std::mt19937_64 random_{std::random_device{}()};
  // A receiver fails attempts at will: 10 lines at once, then one a second (dead letters always).
  log::Limiter failure_lines_{10, 1000};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kite::server::webhooks
