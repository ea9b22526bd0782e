// GET /metrics (Prometheus text) and GET /readyz on the admin port. Neither needs the admin token,
// like /healthz: monitoring scrapes them, and they reveal counts, never payloads or ids; keep the
// admin port on a private address.
#pragma once

#include <string>

#include "core/server.h"
#include "http/router.h"

namespace kite::server {

// The exposition text: every worker's counters summed, the store's statistics, the registry.
std::string metrics_text(Server& server);

void add_metrics_routes(http::Router& router, Server& server);

}  // namespace kite::server
