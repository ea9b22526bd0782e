// GET /metrics (Prometheus text) and GET /readyz on the admin port. /readyz is open, like
// /healthz: load balancers probe it without credentials and it says only ready or not. /metrics
// needs a token with the read scope: its counts describe the fleet and the traffic (devices
// online, refusals, queue sizes), which is not for whoever can reach the port.
#pragma once

#include <string>

#include "core/server.h"
#include "http/router.h"
#include "http/token_set.h"
#include "webhooks/webhook_set.h"

namespace kite::server {

// The exposition text: every worker's counters summed, the store's statistics, the registry.
std::string metrics_text(Server& server, const webhooks::WebhookSet* hooks = nullptr);

// `hooks` (may be null): the webhooks whose families /metrics adds.
void add_metrics_routes(http::Router& router, Server& server, const http::TokenSet* tokens,
                        const webhooks::WebhookSet* hooks = nullptr);

}  // namespace kite::server
