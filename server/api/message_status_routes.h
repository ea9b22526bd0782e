// Message status on the admin API (docs/api.md for the answers):
//   GET /v1/messages/{id}  where a stored message stands: queued, sent, acked, expired, dropped
//                          (with a reason) or replaced, with the times (read scope, like the
//                          other GETs about devices)
// The statuses are the server's MessageStatusBook (core/delivery/message_status.h), in memory.
#pragma once

#include "api/api_helpers.h"
#include "core/server.h"
#include "http/router.h"
#include "metrics/prometheus_text.h"

namespace kite::server {

// True for the store's message ids: 26 characters of lowercase base32 (store/random_ids.h).
bool valid_message_id(std::string_view id);

// kite_message_status_entries and kite_message_status_untracked_total, when status is on.
void message_status_metrics(Server& server, metrics::PrometheusText& out);

void add_message_status_routes(http::Router& router, Server& server, AdminApiOptions options);

}  // namespace kite::server
