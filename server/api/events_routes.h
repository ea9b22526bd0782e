// GET /v1/events: the device event stream (uplink messages, connects, disconnects, delivery
// receipts) as Server-Sent Events, or as a long-poll with ?wait=. See event_query.h for the
// query and docs/api.md for the answers.
#pragma once

#include <string>

#include "api/event_hub.h"
#include "http/router.h"
#include "http/token_set.h"

namespace kite::server {

// `hub` null: the stream is turned off (events.retention_events = 0) and the route says so.
// Reading events needs the read scope (http/token_set.h); `tokens` outlives the router.
void add_event_routes(http::Router& router, api::EventHub* hub, const http::TokenSet* tokens);

}  // namespace kite::server
