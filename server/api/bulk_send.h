// POST /v1/messages: one message, or a batch of up to 256, to a list of devices, a group or
// everyone online, with the outcome per message and device (docs/api.md).
//
// How it sends: QoS 0 messages through FanOut (each encoded once, one task per worker for the
// whole run of QoS 0 messages); QoS 1 messages stored in batches of 1,000 (one store write each),
// then carried to the online devices' workers, one task per worker. Consecutive messages of the
// same QoS go together; each device gets the messages in the order given.
#pragma once

#include "api/api_helpers.h"
#include "core/server.h"
#include "http/responder.h"

namespace kite::server {

void send_bulk(Server& server, const AdminApiOptions& options, const http::HttpRequest& request,
               const http::Responder& responder);

}  // namespace kite::server
