#include "websocket/entry_layer.h"

#include <charconv>

#include "kite/protocol/handshake_crypto.h"
#include "kite/websocket/layer.h"
#include "websocket/sse_layer.h"
#include "websocket/tunnel_post.h"

namespace kite::server::websocket {
namespace {

std::string fallback_path(const std::string& path) {
  return path + (path.ends_with('/') ? "sse" : "/sse");
}

// What lets a page on another origin read the answer (the Origin is already allowed).
http::Headers cors_headers(const http::HttpRequest& request) {
  const std::string* origin = request.header("origin");
  if (!origin) return {};
  return {{"Access-Control-Allow-Origin", *origin}, {"Vary", "Origin"}};
}

std::optional<std::uint64_t> decimal(const std::string* text) {
  std::uint64_t value = 0;
  if (!text || text->empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

}  // namespace

EntryLayer::EntryLayer(std::shared_ptr<const UpgradeRules> rules, std::uint64_t connection,
                       UplinkRoute route)
    : rules_(std::move(rules)),
      connection_(connection),
      route_(std::move(route)),
      parser_(
          std::make_unique<http::RequestParser>(http::ParserLimits{.max_header_bytes = 8 * 1024,
                                                                   .max_body_bytes = kMaxUplinkPost,
                                                                   .max_header_count = 64})) {}

void EntryLayer::receive(std::span<std::uint8_t> bytes, protocol::Session*, protocol::Millis) {
  if (!parser_) return;  // answered: a client sends nothing more until it reads the answer
  http::FeedResult fed =
      parser_->feed({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, 1);
  if (!fed.requests.empty()) {
    parser_.reset();
    return dispatch(fed.requests.front());
  }
  if (fed.error) {
    parser_.reset();
    finish(refusal(fed.error->status, fed.error->detail));
  }
}

void EntryLayer::dispatch(http::HttpRequest& request) {
  const std::string& path = request.path;
  const std::string stream_path = fallback_path(rules_->path);
  if (path == rules_->path) {
    Answer answer = upgrade(request, *rules_);
    if (!answer.opened) return finish(answer);
    next_ = std::make_unique<kite::websocket::WebSocketLayer>(kite::websocket::Side::Server,
                                                              answer.bytes);
    return;
  }
  const bool stream = path == stream_path;
  if (!stream && !path.starts_with(stream_path + "/"))
    return finish(refusal(404, "kited's WebSocket path is " + rules_->path +
                                   " and its HTTP fallback's " + stream_path));
  if (!origin_allowed(request, *rules_))
    return finish(refusal(403, "this Origin is not in websocket.origins"));
  if (request.method == "OPTIONS") return preflight(request);
  if (stream && request.method == "GET") return open_stream(request);
  if (!stream && request.method == "POST") return post_uplink(request);
  finish(refusal(405,
                 stream ? "the HTTP fallback's stream is GET " + stream_path
                        : "a tunnel's uplink is POST " + stream_path + "/{tunnel}?at={offset}",
                 {{"Allow", stream ? "GET, OPTIONS" : "POST, OPTIONS"}}));
}

void EntryLayer::open_stream(const http::HttpRequest& request) {
  if (!request.body.empty()) return finish(refusal(400, "the stream's GET carries no body"));
  TunnelName name{.connection = connection_, .secret = 0};
  protocol::random_bytes({reinterpret_cast<std::uint8_t*>(&name.secret), sizeof name.secret});
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n";
  for (const auto& [header, value] : cors_headers(request)) head += header + ": " + value + "\r\n";
  next_ = std::make_unique<SseLayer>(head, name);
}

void EntryLayer::post_uplink(http::HttpRequest& request) {
  const std::string_view tunnel =
      std::string_view(request.path).substr(fallback_path(rules_->path).size() + 1);
  std::optional<TunnelName> name = TunnelName::parse(tunnel);
  if (!name)
    return finish(refusal(404,
                          "no such tunnel: its name is the 32 hex digits of the stream's "
                          "first event"));
  std::optional<std::uint64_t> offset = decimal(request.query_param("at"));
  if (!offset)
    return finish(refusal(400, "give the offset of the body's first uplink byte: ?at={n}"));
  next_ = std::make_unique<TunnelPostLayer>(cors_headers(request));
  route_(TunnelUplink{.tunnel = *name, .offset = *offset, .body = std::move(request.body)});
}

void EntryLayer::preflight(const http::HttpRequest& request) {
  http::Headers headers = cors_headers(request);
  headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  headers.emplace_back("Access-Control-Allow-Headers", "content-type");
  headers.emplace_back("Access-Control-Max-Age", "600");
  http::HttpResponse response{.status = 204, .headers = std::move(headers), .body = {}};
  finish({.opened = false, .bytes = http::serialize_response(response, true), .reason = {}});
}

void EntryLayer::finish(const Answer& answer) {
  output_.assign(answer.bytes.begin(), answer.bytes.end());
  failure_ = answer.reason;
  ended_ = true;
}

void EntryLayer::write(std::span<const std::uint8_t>, std::vector<std::uint8_t>& out) {
  out.insert(out.end(), output_.begin(), output_.end());
  std::vector<std::uint8_t>().swap(output_);
}

std::unique_ptr<tls::WireLayer> entry_layer(std::shared_ptr<const UpgradeRules> rules,
                                            std::uint64_t connection, UplinkRoute route) {
  return std::make_unique<EntryLayer>(std::move(rules), connection, std::move(route));
}

}  // namespace kite::server::websocket
