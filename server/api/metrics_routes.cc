#include "api/metrics_routes.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "api/api_helpers.h"
#include "api/message_status_routes.h"
#include "api/worker_metric_table.h"
#include "metrics/prometheus_text.h"

namespace kite::server {
namespace {

using api::WorkerMetricsView;
using metrics::MetricType;
using metrics::PrometheusText;

// Every port and reason, zeros included: a refusal series that appears only once something was
// refused cannot be alerted on with rate() before it happens.
void refusal_metrics(const Server& server, WorkerMetricsView workers, PrometheusText& out) {
  out.family("kite_connections_refused_total", MetricType::counter,
             "Connections refused at accept, by port and reason: deny_list, not_allowed (outside "
             "a non-empty allow list), per_ip_cap, unauthenticated_limit "
             "(auth.max_unauthenticated_per_ip or the failed-attempt back-off), proxy_header (a "
             "proxy in proxy_from sent no valid PROXY header in time), untrusted_proxy_header (a "
             "PROXY header from an address not in proxy_from).");
  for (const auto& [port, gate] :
       {std::pair{"device", &server.device_gate()}, std::pair{"admin", &server.admin_gate()}}) {
    for (Refusal reason : {Refusal::deny_list, Refusal::not_allowed, Refusal::per_ip_cap,
                           Refusal::proxy_header, Refusal::untrusted_proxy_header})
      out.sample({{"port", port}, {"reason", refusal_name(reason)}}, gate->refused(reason));
  }
  out.sample({{"port", "device"}, {"reason", "unauthenticated_limit"}},
             api::total(workers, &WorkerMetrics::connections_refused));
}

void connection_metrics(const Server& server, WorkerMetricsView workers, PrometheusText& out) {
  api::write_families(api::connection_families(), workers, out);
  refusal_metrics(server, workers, out);
  api::write_families(api::session_families(), workers, out);

  // By reason: only the reasons that occurred, so the families stay short. Kited's own reasons
  // first, then those the peer chose, as "peer:<Name>" (core/reason_counters.h).
  const auto by_reason = [&](const char* name, const char* help, auto field) {
    out.family(name, MetricType::counter, help);
    for (bool by_peer : {false, true}) {
      for (std::size_t slot = 0; slot < ReasonCounters::kSlots; ++slot) {
        std::uint64_t total = 0;
        for (const WorkerMetrics* worker : workers) total += field(*worker).value(slot, by_peer);
        if (total == 0) continue;
        out.sample({{"reason", ReasonCounters::label(slot, by_peer)}}, total);
      }
    }
  };
  by_reason(
      "kite_handshake_failures_total",
      "Connections closed before their session opened, by reason (AuthFailed, Revoked, "
      "HandshakeTimeout, TooManyAttempts, framing errors...); peer:<Name> = the reason the peer "
      "gave (its Error frame, or peer:NormalClose when it just closed).",
      [](auto& m) -> auto& { return m.handshake_failed; });
  by_reason(
      "kite_sessions_closed_total",
      "Open sessions ended, by reason; peer:<Name> = the reason the peer gave.",
      [](auto& m) -> auto& { return m.closed; });
}

// "not TLS" -> "not_tls": a label value without spaces.
std::string failure_label(kite::tls::Failure failure) {
  std::string label(kite::tls::failure_name(failure));
  for (char& c : label) c = c == ' ' ? '_' : static_cast<char>(std::tolower(c));
  return label;
}

// The TLS device listener; every series present (zeros included) once it is on.
void tls_metrics(const Server& server, WorkerMetricsView workers, PrometheusText& out) {
  if (!server.tls_context()) return;
  api::write_families(api::tls_families(), workers, out);
  out.family("kite_tls_handshake_failures_total", MetricType::counter,
             "TLS handshakes that failed, by reason: not_tls (plaintext on the TLS port), "
             "peer_certificate_rejected (expired, unknown CA, revoked...), "
             "peer_certificate_missing, alert_received, protocol_error, internal_error.");
  for (std::size_t f = 1; f < WorkerMetrics::kTlsFailures; ++f) {
    std::uint64_t total = 0;
    for (const WorkerMetrics* worker : workers) total += worker->tls_handshake_failed[f].value();
    out.sample({{"reason", failure_label(static_cast<kite::tls::Failure>(f))}}, total);
  }
  out.counter("kite_tls_revoked_sessions_total",
              "Live TLS sessions closed because a reloaded CRL revokes their client certificate.",
              api::total(workers, &WorkerMetrics::tls_revoked_kicked));
}

void traffic_metrics(WorkerMetricsView workers, PrometheusText& out) {
  api::write_families(api::traffic_families(), workers, out);
  metrics::LatencyHistogram::Snapshot latency;
  for (const WorkerMetrics* worker : workers) latency += worker->delivery_latency.snapshot();
  out.histogram("kite_delivery_latency_seconds",
                "From the store's write to the message handed to an online device's socket.",
                latency);
}

void store_metrics(Server& server, WorkerMetricsView workers, PrometheusText& out) {
  const StoreStats stats = server.store().stats();
  out.gauge("kite_queued_messages", "Messages in the durable queues of all devices.",
            stats.messages);
  out.gauge("kite_queued_bytes", "Bytes in the durable queues of all devices.", stats.bytes);
  out.counter("kite_store_enqueued_total", "Messages written to the durable queues.",
              stats.enqueued);
  out.counter("kite_store_acked_total", "Queued messages deleted after the device's ack.",
              stats.acked);
  out.counter("kite_store_conflated_total",
              "Queued messages replaced by a newer one with the same conflation key.",
              stats.conflated);
  out.counter("kite_store_duplicates_total",
              "Sends answered as duplicates of an earlier one with the same idempotency key.",
              stats.duplicates);
  out.counter("kite_store_errors_total", "Failed store reads or writes.", stats.errors);
  out.counter("kite_store_writes_total",
              "Store writes (commits) that held something: enqueues, a loop turn's acks and "
              "uplink seqs, expiry.",
              stats.writes);
  out.counter("kite_store_unwritten_total",
              "Records acknowledged before their write was due (store.write_behind_ms): never "
              "written to disk.",
              stats.unwritten);
  out.counter("kite_store_recoveries_total",
              "Times the store left an error state without a restart (e.g. a full disk freed).",
              stats.recoveries);
  out.gauge("kite_idempotency_records", "Idempotency records within their window (capped).",
            stats.idempotency_records);
  out.counter("kite_idempotency_refused_total",
              "Sends with a new idempotency key refused: store.idempotency_records reached.",
              stats.idempotency_refused);
  out.gauge("kite_store_healthy", "1 while the store reads and writes, 0 after an error.",
            server.store().healthy() ? 1 : 0);
  out.family("kite_dropped_total", MetricType::counter, "Messages dropped, by reason.");
  // No room in the connection, or in its worker's inbox (the dispatcher's refusals).
  out.sample({{"reason", "qos0_no_room"}}, api::total(workers, &WorkerMetrics::dropped_qos0) +
                                               server.delivery().refused_transient());
  out.sample({{"reason", "queue_full_oldest"}}, stats.dropped_full);
  out.sample({{"reason", "expired"}}, stats.expired);
  out.sample({{"reason", "too_large"}}, stats.dropped_too_large);
  out.sample({{"reason", "fallback_cancelled"}}, stats.cancelled);
  out.counter("kite_undelivered_total",
              "Messages not acknowledged by their fallback_after_ms (undelivered events).",
              stats.undelivered);
  out.counter("kite_swept_total",
              "Expired messages removed by the background sweep (part of reason=\"expired\").",
              stats.swept);
  out.counter("kite_message_notices_lost_total",
              "Expired/dropped/undelivered notices lost before the sweeper took them.",
              stats.notices_lost);
  out.counter("kite_rejected_total", "Sends refused because a queue was full (policy reject).",
              stats.rejected_full);
}

void event_metrics(Server& server, PrometheusText& out) {
  const events::EventLog* log = server.event_log();
  if (log == nullptr) return;
  const auto stats = log->stats();
  out.counter("kite_events_recorded_total",
              "Device events recorded for GET /v1/events (every type).", stats.recorded);
  out.counter("kite_events_dropped_total",
              "Recorded events dropped by retention (events.retention_*).", stats.dropped);
  out.gauge("kite_events_held", "Events held for readers to resume from.", stats.held);
  out.gauge("kite_events_held_bytes", "Memory those events hold.", stats.held_bytes);
}

// Always present, zeros included: an alert on errors must not wait for recording to be used.
void record_metrics(const Server& server, PrometheusText& out) {
  const record::RecordTotals totals = server.recording_totals();
  out.counter("kite_recorded_frames_total",
              "Frames written to recordings ([record], PUT /v1/recording), both directions.",
              totals.frames);
  out.counter("kite_recorded_bytes_total",
              "Bytes of those frames as they travel (header, body, padding; after TLS).",
              totals.bytes);
  out.counter("kite_recording_errors_total",
              "Recording write errors; each switched recording off on its worker.", totals.errors);
}

}  // namespace

std::string metrics_text(Server& server, const webhooks::WebhookSet* hooks) {
  PrometheusText out;
  const std::vector<const WorkerMetrics*> workers = server.worker_metrics();
  out.gauge("kite_workers", "Worker threads (one libuv loop each).", workers.size());
  out.gauge("kite_devices_online", "Devices connected to this kited (registry entries).",
            server.router().online());
  out.gauge("kite_draining", "1 while the server drains before it stops.",
            server.draining() ? 1 : 0);
  connection_metrics(server, workers, out);
  tls_metrics(server, workers, out);
  traffic_metrics(workers, out);
  store_metrics(server, workers, out);
  message_status_metrics(server, out);
  event_metrics(server, out);
  record_metrics(server, out);
  if (hooks) hooks->write_metrics(out);
  return out.text();
}

void add_metrics_routes(http::Router& router, Server& server, const http::TokenSet* tokens,
                        const webhooks::WebhookSet* hooks) {
  router.add("GET", "/metrics",
             api::authorized(tokens, http::Scope::read,
                             [&server, hooks](const http::HttpRequest&, const http::RouteParams&,
                                              http::Responder responder) {
                               http::HttpResponse response;
                               response.status = 200;
                               response.headers.emplace_back(
                                   "Content-Type", std::string(PrometheusText::kContentType));
                               response.body = metrics_text(server, hooks);
                               responder.respond(std::move(response));
                             }));
  router.add(
      "GET", "/readyz",
      [&server](const http::HttpRequest&, const http::RouteParams&, http::Responder responder) {
        // Probing here (at most once a second) lets a store whose disk was full serve again
        // once there is room, with no send needed to notice.
        const bool store_ok = server.store().healthy() || server.store().recover();
        const bool ready = store_ok && !server.draining();
        const char* status = ready ? "ready" : !store_ok ? "store unavailable" : "draining";
        http::HttpResponse response;
        response.status = ready ? 200 : 503;
        response.headers.emplace_back("Content-Type", "application/json");
        response.body = nlohmann::json{{"status", status}}.dump();
        responder.respond(std::move(response));
      });
}

}  // namespace kite::server
