// The WebSocket upgrade on kited's WebSocket listeners (RFC 6455 4.2): a request the entry layer
// (entry_layer.h) has read for the WebSocket path, checked, and answered 101 or refused with a
// status and a problem body that says what to change.
//
// Checks, in order: GET (405), the upgrade headers (426), version 13 (426, with
// Sec-WebSocket-Version: 13), a well-formed key (400), an allowed Origin (403), and the kite.v1
// subprotocol offered (400).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace kite::server::websocket {

// What a request must match: shared by every connection of the listeners.
struct UpgradeRules {
  std::string path = "/";
  std::vector<std::string> origins;  // empty: any
};

// The bytes to send, and whether the connection is a WebSocket from then on.
struct Answer {
  bool opened = false;
  std::string bytes;   // the 101, or the refusal with its problem body
  std::string reason;  // a refusal's "status: detail", for the log
};

// True if the request's Origin (if any) is one websocket.origins allows.
bool origin_allowed(const http::HttpRequest& request, const UpgradeRules& rules);

Answer upgrade(const http::HttpRequest& request, const UpgradeRules& rules);

// A refusal: `status`, a problem body with `detail`, `headers` besides; the connection closes.
Answer refusal(int status, std::string_view detail, http::Headers headers = {});

}  // namespace kite::server::websocket
