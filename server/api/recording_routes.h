// Recording on the admin API (docs/recording.md for the files, docs/api.md for the answers):
//   GET /v1/recording  what is recorded, where, the files so far and what was written (read)
//   PUT /v1/recording  switches recording on or off, for every connection or chosen devices
//                      (admin: recordings hold payloads and handshakes)
#pragma once

#include "api/api_helpers.h"
#include "core/server.h"
#include "http/router.h"

namespace kite::server {

void add_recording_routes(http::Router& router, Server& server, AdminApiOptions options);

}  // namespace kite::server
