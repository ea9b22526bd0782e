// Groups and addressing in bulk on the admin API:
//   PUT/DELETE /v1/groups/{g}/members/{id}, GET /v1/groups/{g}  (membership)
//   POST /v1/messages  (messages to a list of devices, a group or everyone: bulk_send.h)
// docs/api.md describes each route and its answers.
#pragma once

#include "api/api_helpers.h"
#include "api/bulk_send.h"
#include "core/server.h"
#include "http/router.h"

namespace kite::server {

// `bulk_sends` answers POST /v1/messages; it outlives the router.
void add_group_routes(http::Router& router, Server& server, BulkSends& bulk_sends,
                      AdminApiOptions options);

}  // namespace kite::server
