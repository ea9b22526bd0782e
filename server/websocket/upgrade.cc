#include "websocket/upgrade.h"

#include <algorithm>

#include "http/problem.h"
#include "kite/websocket/handshake.h"

namespace kite::server::websocket {

namespace ws = kite::websocket;

bool origin_allowed(const http::HttpRequest& request, const UpgradeRules& rules) {
  const std::string* origin = request.header("origin");
  return !origin || rules.origins.empty() ||
         std::find(rules.origins.begin(), rules.origins.end(), *origin) != rules.origins.end();
}

Answer upgrade(const http::HttpRequest& request, const UpgradeRules& rules) {
  auto header_lists = [&](std::string_view name, std::string_view token) {
    const std::string* value = request.header(name);
    return value && ws::lists_token(*value, token);
  };
  if (request.method != "GET")
    return refusal(405, "a WebSocket upgrade is a GET request", {{"Allow", "GET"}});
  if (!header_lists("upgrade", "websocket") || !header_lists("connection", "upgrade"))
    return refusal(426, "this port speaks WebSocket: send Upgrade: websocket, Connection: Upgrade",
                   {{"Upgrade", "websocket"}});
  const std::string* version = request.header("sec-websocket-version");
  if (!version || *version != "13")
    return refusal(426, "only WebSocket version 13 (RFC 6455) is spoken",
                   {{"Sec-WebSocket-Version", "13"}});
  const std::string* key = request.header("sec-websocket-key");
  if (!key || !ws::valid_key(*key))
    return refusal(400, "Sec-WebSocket-Key must be base64 of 16 bytes");
  if (!origin_allowed(request, rules))
    return refusal(403, "this Origin is not in websocket.origins");
  if (!header_lists("sec-websocket-protocol", ws::kSubprotocol))
    return refusal(400, "offer the kite.v1 subprotocol (Sec-WebSocket-Protocol: kite.v1)");
  if (!request.body.empty()) return refusal(400, "a WebSocket upgrade carries no body");
  return {.opened = true,
          .bytes =
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
              ws::accept_key(*key) +
              "\r\nSec-WebSocket-Protocol: " + std::string(ws::kSubprotocol) + "\r\n\r\n",
          .reason = {}};
}

Answer refusal(int status, std::string_view detail, http::Headers headers) {
  http::HttpResponse response = http::problem_response(status, {}, detail);
  for (auto& header : headers) response.headers.push_back(std::move(header));
  return {.opened = false,
          .bytes = http::serialize_response(response, /*close=*/true),
          .reason = std::to_string(status) + ": " + std::string(detail)};
}

}  // namespace kite::server::websocket
