// The webhooks of one kited: a sender thread per [[webhooks]] entry (webhook_sender.h), started
// once the event log and the workers run, stopped before they go; and their /metrics families.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/group_directory.h"
#include "events/event_log.h"
#include "metrics/prometheus_text.h"
#include "store/message_store.h"
#include "webhooks/webhook_sender.h"

namespace kite::server::webhooks {

class WebhookSet {
 public:
  // Lag is counted over at most this many events per webhook and scrape.
  static constexpr std::size_t kMaxLagScan = 100'000;

  // "" and the senders (not started), or why one cannot run (a secret or CA file).
  // `lease` (a cluster node's, or null): only the node holding a webhook's lease sends it.
  std::string build(const std::vector<config::WebhookConfig>& configs, events::EventLog& log,
                    const GroupDirectory& groups, MessageStore* store, SendLease* lease = nullptr);
  void start();
  void stop();
  bool empty() const { return senders_.empty(); }

  // The kite_webhook_* families, a sample per webhook (label webhook="NAME").
  void write_metrics(metrics::PrometheusText& out) const;

 private:
  std::vector<TlsClient> tls_;  // before the senders: they use the contexts
  std::vector<std::unique_ptr<WebhookSender>> senders_;
};

}  // namespace kite::server::webhooks
