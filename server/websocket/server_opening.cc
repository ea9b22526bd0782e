#include "websocket/server_opening.h"

#include <algorithm>

#include "http/problem.h"
#include "kite/websocket/handshake.h"

namespace kite::server::websocket {

namespace ws = kite::websocket;

ServerOpening::ServerOpening(std::shared_ptr<const UpgradeRules> rules)
    : rules_(std::move(rules)),
      parser_(std::make_unique<http::RequestParser>(http::ParserLimits{
          .max_header_bytes = 8 * 1024, .max_body_bytes = 0, .max_header_count = 64})) {}

ServerOpening::Step ServerOpening::receive(std::span<const std::uint8_t> bytes, std::size_t& used,
                                           std::vector<std::uint8_t>& out) {
  used = bytes.size();  // a client sends nothing after its request until the 101
  http::FeedResult fed =
      parser_->feed({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, 1);
  if (!fed.requests.empty()) return answer(fed.requests.front(), out);
  if (fed.error) return refuse(fed.error->status, fed.error->detail, out);
  return Step::More;
}

ServerOpening::Step ServerOpening::answer(const http::HttpRequest& request,
                                          std::vector<std::uint8_t>& out) {
  parser_.reset();
  auto header_lists = [&](std::string_view name, std::string_view token) {
    const std::string* value = request.header(name);
    return value && ws::lists_token(*value, token);
  };
  if (request.method != "GET")
    return refuse(405, "a WebSocket upgrade is a GET request", out, {{"Allow", "GET"}});
  if (request.path != rules_->path)
    return refuse(404, "kited's WebSocket path is " + rules_->path, out);
  if (!header_lists("upgrade", "websocket") || !header_lists("connection", "upgrade"))
    return refuse(426, "this port speaks WebSocket: send Upgrade: websocket, Connection: Upgrade",
                  out, {{"Upgrade", "websocket"}});
  const std::string* version = request.header("sec-websocket-version");
  if (!version || *version != "13")
    return refuse(426, "only WebSocket version 13 (RFC 6455) is spoken", out,
                  {{"Sec-WebSocket-Version", "13"}});
  const std::string* key = request.header("sec-websocket-key");
  if (!key || !ws::valid_key(*key))
    return refuse(400, "Sec-WebSocket-Key must be base64 of 16 bytes", out);
  const std::string* origin = request.header("origin");
  const auto& allowed = rules_->origins;
  if (origin && !allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), *origin) == allowed.end())
    return refuse(403, "this Origin is not in websocket.origins", out);
  if (!header_lists("sec-websocket-protocol", ws::kSubprotocol))
    return refuse(400, "offer the kite.v1 subprotocol (Sec-WebSocket-Protocol: kite.v1)", out);
  const std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      ws::accept_key(*key) + "\r\nSec-WebSocket-Protocol: " + std::string(ws::kSubprotocol) +
      "\r\n\r\n";
  out.insert(out.end(), response.begin(), response.end());
  return Step::Open;
}

ServerOpening::Step ServerOpening::refuse(int status, std::string detail,
                                          std::vector<std::uint8_t>& out, http::Headers headers) {
  parser_.reset();
  http::HttpResponse response = http::problem_response(status, {}, detail);
  for (auto& header : headers) response.headers.push_back(std::move(header));
  const std::string bytes = http::serialize_response(response, /*close=*/true);
  out.insert(out.end(), bytes.begin(), bytes.end());
  failure_ = std::to_string(status) + ": " + detail;
  return Step::Refused;
}

std::unique_ptr<kite::tls::WireLayer> server_layer(std::shared_ptr<const UpgradeRules> rules) {
  return std::make_unique<ws::WebSocketLayer>(ws::Side::Server,
                                              std::make_unique<ServerOpening>(std::move(rules)));
}

}  // namespace kite::server::websocket
