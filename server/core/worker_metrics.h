// What one worker counts for GET /metrics. Each worker writes only its own WorkerMetrics (plain
// single-writer counters, metrics/counter.h); the scrape reads every worker's and sums them, so
// counting never makes two worker threads share a cache line or a lock.
#pragma once

#include <array>
#include <cstddef>

#include "core/reason_counters.h"
#include "kite/protocol/reason.h"
#include "kite/tls/failure.h"
#include "metrics/counter.h"
#include "metrics/histogram.h"

namespace kite::server {

struct WorkerMetrics {
  using Counter = metrics::LocalCounter;
  using Gauge = metrics::LocalGauge;
  static constexpr std::size_t kTlsFailures = static_cast<std::size_t>(tls::Failure::Internal) + 1;

  // Connections by state: accepted and not yet authenticated, open devices, open services.
  Gauge handshaking, devices_open, services_open;
  Counter connections_accepted, connections_refused;
  Counter handshakes_ok;
  ReasonCounters handshake_failed;  // closed before opening, by reason (and who chose it)
  ReasonCounters closed;            // sessions ended, by reason (and who chose it)

  Counter messages_in, messages_out, bytes_in, bytes_out;
  Counter acks_in;       // acks from devices (each may cover several messages)
  Counter resumed;       // sessions that resumed (the device kept its state)
  Counter dropped_qos0;  // QoS 0 with no room or no device
  Counter kicked, uplink_throttled;
  Counter reading_blocked;  // reads stopped: the peer is not reading what it makes kited write
  Counter commands_sent, commands_replied, commands_timed_out, commands_failed;
  // The TLS listener: handshakes completed (full or resumed from a ticket), and handshakes that
  // failed, by tls::Failure (not TLS, certificate rejected or missing, alert, protocol...).
  Counter tls_handshakes_full, tls_handshakes_resumed;
  std::array<Counter, kTlsFailures> tls_handshake_failed;
  Counter tls_revoked_kicked;  // live sessions closed because a reloaded CRL lists them
  // From the store's write to the message handed to the device's socket, for messages carried
  // straight to an online device (every send: single, bulk, group, service; dispatcher.h): how
  // long online devices wait. Messages read back from a backlog are not counted (they may have
  // waited for an offline device).
  metrics::LatencyHistogram delivery_latency;
  // The worker's frame encoder (protocol EncoderStats), copied on every wheel tick: bodies
  // before compression and as written, for the compression ratio.
  Gauge frames_encoded, frames_compressed, body_bytes_encoded, body_bytes_written;
};

}  // namespace kite::server
