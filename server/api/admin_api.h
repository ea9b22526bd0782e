// The admin HTTP API of kited (bearer token): send to a device, commands, device presence,
// health.
// The full API (groups, commands, events, metrics) grows here; docs/api.md describes each route.
//
// Handlers run on the admin loop's thread. A send is answered 202 only once the message is in
// the durable store (per the store's durability setting); the device's worker is then woken.
#pragma once

#include <string>

#include "api/api_helpers.h"
#include "api/loop_inbox.h"
#include "core/server.h"
#include "http/router.h"

namespace kite::server {

// Adds the admin routes to `router`. `inbox` brings answers that wait on a device (commands) back
// to the admin loop; it must outlive the server's workers.
void add_admin_routes(http::Router& router, Server& server, LoopInbox& inbox,
                      AdminApiOptions options);

}  // namespace kite::server
