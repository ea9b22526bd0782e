#include "api/metrics_routes.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "api/api_helpers.h"
#include "core/worker.h"
#include "metrics/prometheus_text.h"

namespace kite::server {
namespace {

using metrics::MetricType;
using metrics::PrometheusText;

// The sum over workers of one counter or gauge of WorkerMetrics.
template <typename Field>
auto sum(const Server& server, Field field) {
  decltype(field(std::declval<const WorkerMetrics&>()).value()) total = 0;
  for (const auto& worker : server.workers()) total += field(worker->metrics()).value();
  return total;
}

// Every port and reason, zeros included: a refusal series that appears only once something was
// refused cannot be alerted on with rate() before it happens.
void refusal_metrics(const Server& server, PrometheusText& out) {
  out.family("kite_connections_refused_total", MetricType::counter,
             "Connections refused at accept, by port and reason: deny_list, not_allowed (outside "
             "a non-empty allow list), per_ip_cap, unauthenticated_limit "
             "(auth.max_unauthenticated_per_ip or the failed-attempt back-off).");
  for (const auto& [port, gate] :
       {std::pair{"device", &server.device_gate()}, std::pair{"admin", &server.admin_gate()}}) {
    for (Refusal reason : {Refusal::deny_list, Refusal::not_allowed, Refusal::per_ip_cap})
      out.sample({{"port", port}, {"reason", refusal_name(reason)}}, gate->refused(reason));
  }
  out.sample({{"port", "device"}, {"reason", "unauthenticated_limit"}},
             sum(
                 server, [](auto& m) -> auto& { return m.connections_refused; }));
}

void connection_metrics(const Server& server, PrometheusText& out) {
  out.family("kite_connections", MetricType::gauge,
             "Connections by state: handshaking (not yet authenticated), device, service.");
  out.sample({{"state", "handshaking"}},
             sum(
                 server, [](auto& m) -> auto& { return m.handshaking; }));
  out.sample({{"state", "device"}}, sum(
                                        server, [](auto& m) -> auto& { return m.devices_open; }));
  out.sample({{"state", "service"}}, sum(
                                         server, [](auto& m) -> auto& { return m.services_open; }));
  out.counter("kite_connections_accepted_total", "TCP connections accepted on the device port.",
              sum(
                  server, [](auto& m) -> auto& { return m.connections_accepted; }));
  refusal_metrics(server, out);
  out.counter("kite_handshakes_total", "Handshakes that ended with an open session.",
              sum(
                  server, [](auto& m) -> auto& { return m.handshakes_ok; }));
  out.counter("kite_sessions_resumed_total", "Sessions that resumed the device's previous state.",
              sum(
                  server, [](auto& m) -> auto& { return m.resumed; }));

  // By reason: only the reasons that occurred, so the families stay short. Kited's own reasons
  // first, then those the peer chose, as "peer:<Name>" (core/reason_counters.h).
  const auto by_reason = [&](const char* name, const char* help, auto field) {
    out.family(name, MetricType::counter, help);
    for (bool by_peer : {false, true}) {
      for (std::size_t slot = 0; slot < ReasonCounters::kSlots; ++slot) {
        std::uint64_t total = 0;
        for (const auto& worker : server.workers())
          total += field(worker->metrics()).value(slot, by_peer);
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
void tls_metrics(const Server& server, PrometheusText& out) {
  if (!server.tls_context()) return;
  out.family("kite_tls_handshakes_total", MetricType::counter,
             "TLS handshakes completed on the TLS device listener; resumed = from a session "
             "ticket (no certificate exchange).");
  out.sample({{"resumed", "false"}},
             sum(
                 server, [](auto& m) -> auto& { return m.tls_handshakes_full; }));
  out.sample({{"resumed", "true"}},
             sum(
                 server, [](auto& m) -> auto& { return m.tls_handshakes_resumed; }));
  out.family("kite_tls_handshake_failures_total", MetricType::counter,
             "TLS handshakes that failed, by reason: not_tls (plaintext on the TLS port), "
             "peer_certificate_rejected (expired, unknown CA, revoked...), "
             "peer_certificate_missing, alert_received, protocol_error, internal_error.");
  for (std::size_t f = 1; f < WorkerMetrics::kTlsFailures; ++f) {
    std::uint64_t total = 0;
    for (const auto& worker : server.workers())
      total += worker->metrics().tls_handshake_failed[f].value();
    out.sample({{"reason", failure_label(static_cast<kite::tls::Failure>(f))}}, total);
  }
  out.counter("kite_tls_revoked_sessions_total",
              "Live TLS sessions closed because a reloaded CRL revokes their client certificate.",
              sum(
                  server, [](auto& m) -> auto& { return m.tls_revoked_kicked; }));
}

void traffic_metrics(const Server& server, PrometheusText& out) {
  out.family("kite_messages_total", MetricType::counter,
             "Messages: in = publishes from devices and services, out = sent to devices.");
  out.sample({{"direction", "in"}}, sum(
                                        server, [](auto& m) -> auto& { return m.messages_in; }));
  out.sample({{"direction", "out"}}, sum(
                                         server, [](auto& m) -> auto& { return m.messages_out; }));
  out.family("kite_bytes_total", MetricType::counter,
             "Bytes on the device port, after compression (what the sockets carried).");
  out.sample({{"direction", "in"}}, sum(
                                        server, [](auto& m) -> auto& { return m.bytes_in; }));
  out.sample({{"direction", "out"}}, sum(
                                         server, [](auto& m) -> auto& { return m.bytes_out; }));
  out.counter("kite_acks_received_total",
              "Ack frames from devices (each covers one or more messages).",
              sum(
                  server, [](auto& m) -> auto& { return m.acks_in; }));
  out.counter("kite_kicked_total", "Sessions ended by the server (replaced, revoked, shutdown).",
              sum(
                  server, [](auto& m) -> auto& { return m.kicked; }));
  out.counter("kite_uplink_throttled_total",
              "Times a device went over its uplink rate and its socket was paused.",
              sum(
                  server, [](auto& m) -> auto& { return m.uplink_throttled; }));
  out.counter("kite_reading_blocked_total",
              "Times a peer's input was paused because it did not read kited's answers "
              "(write queue above 4x write_high_water_bytes).",
              sum(
                  server, [](auto& m) -> auto& { return m.reading_blocked; }));
  out.family("kite_commands_total", MetricType::counter,
             "Commands sent to devices, and how they ended.");
  out.sample({{"outcome", "sent"}}, sum(
                                        server, [](auto& m) -> auto& { return m.commands_sent; }));
  out.sample({{"outcome", "replied"}},
             sum(
                 server, [](auto& m) -> auto& { return m.commands_replied; }));
  out.sample({{"outcome", "timed_out"}},
             sum(
                 server, [](auto& m) -> auto& { return m.commands_timed_out; }));
  out.sample({{"outcome", "failed"}},
             sum(
                 server, [](auto& m) -> auto& { return m.commands_failed; }));

  out.family("kite_frame_body_bytes_total", MetricType::counter,
             "Bytes of frame bodies kited wrote: encoded (before compression) and written (as on "
             "the wire); written / encoded is the compression ratio.");
  out.sample({{"stage", "encoded"}},
             sum(
                 server, [](auto& m) -> auto& { return m.body_bytes_encoded; }));
  out.sample({{"stage", "written"}},
             sum(
                 server, [](auto& m) -> auto& { return m.body_bytes_written; }));
  out.counter("kite_frames_written_total", "Frames kited wrote.",
              sum(
                  server, [](auto& m) -> auto& { return m.frames_encoded; }));
  out.counter("kite_frames_compressed_total", "Frames kited wrote compressed (zstd).",
              sum(
                  server, [](auto& m) -> auto& { return m.frames_compressed; }));

  metrics::LatencyHistogram::Snapshot latency;
  for (const auto& worker : server.workers())
    latency += worker->metrics().delivery_latency.snapshot();
  out.histogram("kite_delivery_latency_seconds",
                "From the store's write to the message handed to an online device's socket.",
                latency);
}

void store_metrics(Server& server, PrometheusText& out) {
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
  out.sample({{"reason", "qos0_no_room"}},
             sum(
                 server, [](auto& m) -> auto& { return m.dropped_qos0; }) +
                 server.delivery().refused_transient());
  out.sample({{"reason", "queue_full_oldest"}}, stats.dropped_full);
  out.sample({{"reason", "expired"}}, stats.expired);
  out.sample({{"reason", "too_large"}}, stats.dropped_too_large);
  out.counter("kite_rejected_total", "Sends refused because a queue was full (policy reject).",
              stats.rejected_full);
}

void event_metrics(Server& server, PrometheusText& out) {
  const events::EventLog* log = server.event_log();
  if (log == nullptr) return;
  const auto stats = log->stats();
  out.counter("kite_events_recorded_total",
              "Device events recorded for GET /v1/events (uplink, connect, disconnect, receipt).",
              stats.last_id - (log->first_id() - 1));
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

std::string metrics_text(Server& server) {
  PrometheusText out;
  out.gauge("kite_workers", "Worker threads (one libuv loop each).", server.workers().size());
  out.gauge("kite_devices_online", "Devices connected to this kited (registry entries).",
            server.router().online());
  out.gauge("kite_draining", "1 while the server drains before it stops.",
            server.draining() ? 1 : 0);
  connection_metrics(server, out);
  tls_metrics(server, out);
  traffic_metrics(server, out);
  store_metrics(server, out);
  event_metrics(server, out);
  record_metrics(server, out);
  return out.text();
}

void add_metrics_routes(http::Router& router, Server& server, const http::TokenSet* tokens) {
  router.add("GET", "/metrics",
             api::authorized(tokens, http::Scope::read,
                             [&server](const http::HttpRequest&, const http::RouteParams&,
                                       http::Responder responder) {
                               http::HttpResponse response;
                               response.status = 200;
                               response.headers.emplace_back(
                                   "Content-Type", std::string(PrometheusText::kContentType));
                               response.body = metrics_text(server);
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
