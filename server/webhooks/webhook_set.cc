#include "webhooks/webhook_set.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/log.h"

namespace kite::server::webhooks {
namespace {

using metrics::MetricType;

// The secret of an entry: its own, or its file's first line.
std::string read_secret(const config::WebhookConfig& config, std::string& secret) {
  if (config.secret_file.empty()) {
    secret = config.secret;
    return {};
  }
  std::ifstream in(config.secret_file);
  if (!in)
    return fmt::format("webhook {}: cannot read secret_file {}", config.name, config.secret_file);
  std::getline(in, secret);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) return fmt::format("webhook {}: secret_file is empty", config.name);
  return {};
}

}  // namespace

std::string WebhookSet::build(const std::vector<config::WebhookConfig>& configs,
                              events::EventLog& log, const GroupDirectory& groups,
                              MessageStore* store, SendLease* lease) {
  tls_.reserve(configs.size());  // senders keep pointers to the contexts
  for (const auto& config : configs) {
    std::string secret;
    if (auto error = read_secret(config, secret); !error.empty()) return error;
    SSL_CTX* tls = nullptr;
    if (config.url.starts_with("https://")) {
      TlsClient& client = tls_.emplace_back();
      if (auto error = make_tls_client(config.ca_file, client); !error.empty())
        return fmt::format("webhook {}: {}", config.name, error);
      tls = client.ctx.get();
    }
    if (secret.empty())
      KITE_LOG(warn, "webhook.unsigned", {{"webhook", config.name}});  // development mode only
    senders_.push_back(
        std::make_unique<WebhookSender>(config, std::move(secret), tls, log, groups, store, lease));
  }
  return {};
}

void WebhookSet::start() {
  for (auto& sender : senders_) {
    sender->start();
    KITE_LOG(info, "webhook.started",
             {{"webhook", sender->name()}, {"after", sender->stats().cursor.load()}});
  }
}

void WebhookSet::stop() {
  for (auto& sender : senders_) sender->stop();
}

void WebhookSet::write_metrics(metrics::PrometheusText& out) const {
  const auto each = [&](const char* name, MetricType type, const char* help, auto value) {
    out.family(name, type, help);
    for (const auto& sender : senders_) out.sample({{"webhook", sender->name()}}, value(*sender));
  };
  each("kite_webhook_delivered_events_total", MetricType::counter,
       "Events a webhook's receiver accepted (a 2xx answer), by webhook.",
       [](const WebhookSender& s) { return s.stats().delivered_events.load(); });
  each("kite_webhook_delivered_batches_total", MetricType::counter,
       "Requests a webhook's receiver accepted, by webhook.",
       [](const WebhookSender& s) { return s.stats().delivered_batches.load(); });
  each("kite_webhook_failed_attempts_total", MetricType::counter,
       "Requests that failed (an answer other than 2xx, a timeout, a connection or TLS error) "
       "and were retried or dead-lettered, by webhook.",
       [](const WebhookSender& s) { return s.stats().failed_attempts.load(); });
  each("kite_webhook_dead_lettered_events_total", MetricType::counter,
       "Events skipped after max_attempts failed requests (logged as webhook.dead_lettered).",
       [](const WebhookSender& s) { return s.stats().dead_events.load(); });
  each("kite_webhook_missed_events_total", MetricType::counter,
       "Events retention dropped before the webhook sent them (logged as webhook.missed_events).",
       [](const WebhookSender& s) { return s.stats().missed_events.load(); });
  each("kite_webhook_lag_events", MetricType::gauge,
       "Events in the log after the webhook's cursor that it wants, by type and device (before "
       "its group filter); counted over at most 100000 events.",
       [](const WebhookSender& s) { return s.lag(kMaxLagScan).events; });
  out.family("kite_webhook_request_seconds", MetricType::histogram,
             "Time of a webhook request that succeeded: connect (when needed), send, answer.");
  for (const auto& sender : senders_)
    out.sample({{"webhook", sender->name()}}, sender->stats().latency.snapshot());
}

}  // namespace kite::server::webhooks
