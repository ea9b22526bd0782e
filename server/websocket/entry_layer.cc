#include "websocket/entry_layer.h"

#include <charconv>

#include "kite/protocol/handshake_crypto.h"
#include "kite/websocket/layer.h"
#include "websocket/sse_layer.h"
#include "websocket/tunnel_reply.h"

namespace kite::server::websocket {
namespace {

// "{path}/{leaf}": where the HTTP fallback's tunnels live.
std::string under(const std::string& path, std::string_view leaf) {
  return path + (path.ends_with('/') ? "" : "/") + std::string(leaf);
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
                       TunnelHost& host)
    : rules_(std::move(rules)),
      connection_(connection),
      host_(host),
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
  const std::string_view path = request.path;
  if (path == rules_->path) {
    Answer answer = upgrade(request, *rules_);
    if (!answer.opened) return finish(answer);
    next_ = std::make_unique<kite::websocket::WebSocketLayer>(kite::websocket::Side::Server,
                                                              answer.bytes);
    return;
  }
  for (auto [leaf, kind] : {std::pair{"sse", TunnelKind::Stream}, {"poll", TunnelKind::Poll}}) {
    const std::string base = under(rules_->path, leaf);
    if (path == base) return dispatch_tunnel(request, kind, std::nullopt);
    if (path.starts_with(base + "/"))
      return dispatch_tunnel(request, kind, path.substr(base.size() + 1));
  }
  finish(refusal(404, "kited's WebSocket path is " + rules_->path + "; its HTTP fallback's are " +
                          under(rules_->path, "sse") + " and " + under(rules_->path, "poll")));
}

void EntryLayer::dispatch_tunnel(http::HttpRequest& request, TunnelKind kind,
                                 std::optional<std::string_view> tunnel) {
  if (!origin_allowed(request, *rules_))
    return finish(refusal(403, "this Origin is not in websocket.origins"));
  if (request.method == "OPTIONS") return preflight(request);
  const std::string base = under(rules_->path, kind == TunnelKind::Stream ? "sse" : "poll");
  if (!tunnel) {
    if (request.method != "GET")
      return finish(refusal(405, "a tunnel is opened with GET " + base, {{"Allow", "GET"}}));
    if (!request.body.empty()) return finish(refusal(400, "the GET carries no body"));
    return kind == TunnelKind::Stream ? open_stream(request) : open_poll(request);
  }
  const std::optional<TunnelName> name = TunnelName::parse(*tunnel);
  if (!name)
    return finish(refusal(404, "no such tunnel: its name is the 32 hex digits kited gave"));
  if (request.method == "POST") return post_uplink(request, kind, *name);
  if (request.method == "GET" && kind == TunnelKind::Poll) return poll(request, *name);
  finish(refusal(405,
                 kind == TunnelKind::Stream
                     ? "a streamed tunnel takes POST " + base + "/{tunnel}?at={offset}"
                     : "a polled tunnel takes GET " + base +
                           "/{tunnel}?from={offset} and POST ...?at={offset}",
                 {{"Allow", kind == TunnelKind::Stream ? "POST, OPTIONS" : "GET, POST, OPTIONS"}}));
}

void EntryLayer::open_stream(const http::HttpRequest& request) {
  TunnelName name{.connection = connection_, .secret = 0};
  protocol::random_bytes({reinterpret_cast<std::uint8_t*>(&name.secret), sizeof name.secret});
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n";
  for (const auto& [header, value] : cors_headers(request)) head += header + ": " + value + "\r\n";
  next_ = std::make_unique<SseLayer>(head, name);
}

void EntryLayer::open_poll(const http::HttpRequest& request) {
  const std::optional<TunnelName> name = host_.open_poll_tunnel();
  if (!name) return finish(refusal(503, "no polled tunnel can be opened now: try again later"));
  http::Headers headers = cors_headers(request);
  headers.emplace_back("Cache-Control", "no-store");
  const http::HttpResponse response = {
      .status = 200, .headers = std::move(headers), .body = name->text() + "\n"};
  finish({.opened = false, .bytes = http::serialize_response(response, true), .reason = {}});
}

void EntryLayer::poll(const http::HttpRequest& request, TunnelName name) {
  const std::optional<std::uint64_t> from = decimal(request.query_param("from"));
  if (!from)
    return finish(refusal(400, "give the offset of the first downlink byte wanted: ?from={n}"));
  next_ = std::make_unique<TunnelReplyLayer>(cors_headers(request));
  host_.route_poll(name, *from);
}

void EntryLayer::post_uplink(http::HttpRequest& request, TunnelKind kind, TunnelName name) {
  const std::optional<std::uint64_t> offset = decimal(request.query_param("at"));
  if (!offset)
    return finish(refusal(400, "give the offset of the body's first uplink byte: ?at={n}"));
  next_ = std::make_unique<TunnelReplyLayer>(cors_headers(request));
  host_.route_uplink(TunnelUplink{
      .kind = kind, .tunnel = name, .offset = *offset, .body = std::move(request.body)});
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
                                            std::uint64_t connection, TunnelHost& host) {
  return std::make_unique<EntryLayer>(std::move(rules), connection, host);
}

}  // namespace kite::server::websocket
