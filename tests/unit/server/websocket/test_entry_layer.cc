// kited's entry layer on the WebSocket port (server/websocket/entry_layer.h): one HTTP request,
// then the layer it asks for (a WebSocket, the fallback's stream, a tunnel's POST routed to its
// worker), or a refusal with the status that names the fault and a problem body.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kite/websocket/layer.h"
#include "websocket/entry_layer.h"
#include "websocket/sse_layer.h"
#include "websocket/tunnel_reply.h"

namespace kite::server::websocket {
namespace {

constexpr std::uint64_t kConnection = 0x0200000005000007;

struct Entered {
  std::unique_ptr<tls::WireLayer> next;  // the layer handed over to, if any
  bool ended = false;
  std::string answer;  // what is written first
  std::string why;
  std::optional<TunnelUplink> routed;
};

// The connection's side: what the layer routes is kept; a polled tunnel gets a fixed name.
struct FakeHost final : TunnelHost {
  std::optional<TunnelUplink> routed;
  std::optional<std::pair<TunnelName, std::uint64_t>> polled;
  bool can_open = true;
  void route_uplink(TunnelUplink uplink) override { routed = std::move(uplink); }
  std::optional<TunnelName> open_poll_tunnel() override {
    if (!can_open) return std::nullopt;
    return TunnelName{.connection = 0x0300000001000002, .secret = 0x1122334455667788};
  }
  void route_poll(TunnelName tunnel, std::uint64_t from) override { polled = {tunnel, from}; }
};

Entered enter(std::string_view request, std::vector<std::string> origins = {},
              FakeHost* host_seen = nullptr) {
  auto rules = std::make_shared<const UpgradeRules>(UpgradeRules{"/kite", std::move(origins)});
  Entered entered;
  FakeHost local;
  FakeHost& host = host_seen ? *host_seen : local;
  EntryLayer layer(rules, kConnection, host);
  std::vector<std::uint8_t> bytes(request.begin(), request.end());
  layer.receive(bytes, nullptr, 0);
  entered.next = layer.take_successor();
  entered.ended = layer.ended();
  entered.why = layer.why();
  std::vector<std::uint8_t> out;
  (entered.next ? *entered.next : static_cast<tls::WireLayer&>(layer)).write({}, out);
  entered.answer.assign(out.begin(), out.end());
  entered.routed = host.routed;
  return entered;
}

std::string status_of(const Entered& entered) {
  return entered.answer.substr(9, 3);
}

TEST_CASE("an upgrade on the path opens a WebSocket, 101 first") {
  const Entered entered = enter(
      "GET /kite HTTP/1.1\r\nHost: k\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: kite.v1\r\n\r\n");
  REQUIRE(entered.next);
  CHECK(dynamic_cast<kite::websocket::WebSocketLayer*>(entered.next.get()));
  CHECK(entered.next->open());
  CHECK(entered.answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") !=
        std::string::npos);
}

TEST_CASE("GET {path}/sse opens a tunnel named after the connection, CORS for an allowed page") {
  const Entered entered =
      enter("GET /kite/sse HTTP/1.1\r\nHost: k\r\nOrigin: https://app.example\r\n\r\n",
            {"https://app.example"});
  REQUIRE(entered.next);
  CHECK(dynamic_cast<SseLayer*>(entered.next.get()));
  CHECK(status_of(entered) == "200");
  CHECK(entered.answer.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(entered.answer.find("Access-Control-Allow-Origin: https://app.example\r\n") !=
        std::string::npos);
  const std::size_t name_at = entered.answer.find("event: tunnel\ndata: ");
  REQUIRE(name_at != std::string::npos);
  const auto name = TunnelName::parse(entered.answer.substr(name_at + 20, 32));
  REQUIRE(name);
  CHECK(name->connection == kConnection);
  CHECK(static_cast<SseLayer*>(entered.next.get())->named(*name));
}

TEST_CASE("GET {path}/poll opens a polled tunnel and answers its name; a poll is routed") {
  const Entered opened = enter("GET /kite/poll HTTP/1.1\r\nHost: k\r\n\r\n");
  CHECK(opened.ended);
  CHECK(status_of(opened) == "200");
  CHECK(opened.answer.ends_with("\r\n\r\n03000000010000021122334455667788\n"));
  CHECK(opened.why.empty());
  FakeHost full;
  full.can_open = false;
  CHECK(status_of(enter("GET /kite/poll HTTP/1.1\r\n\r\n", {}, &full)) == "503");

  FakeHost host;
  const Entered polled =
      enter("GET /kite/poll/0300000001000002112233445566778a?from=7 HTTP/1.1\r\n\r\n", {}, &host);
  REQUIRE(host.polled);
  CHECK(host.polled->first.secret == 0x112233445566778a);
  CHECK(host.polled->second == 7);
  REQUIRE(polled.next);
  auto* reply = dynamic_cast<TunnelReplyLayer*>(polled.next.get());
  REQUIRE(reply);
  reply->answer({.status = 200, .detail = {}, .retry_after_s = 0, .body = "bytes"});
  std::vector<std::uint8_t> out;
  reply->write({}, out);
  const std::string answer(out.begin(), out.end());
  CHECK(answer.starts_with("HTTP/1.1 200"));
  CHECK(answer.find("Content-Type: application/octet-stream\r\n") != std::string::npos);
  CHECK(answer.ends_with("\r\n\r\nbytes"));
  const Entered posted = enter(
      "POST /kite/poll/0300000001000002112233445566778a?at=3 HTTP/1.1\r\nContent-Length: 1\r\n"
      "\r\nx");
  REQUIRE(posted.routed);
  CHECK(posted.routed->kind == TunnelKind::Poll);
  CHECK(posted.routed->offset == 3);
}

TEST_CASE("a tunnel's POST is routed with its offset and body, and answered later") {
  const Entered entered = enter(
      "POST /kite/sse/0100000002000003a1b2c3d4e5f60718?at=42 HTTP/1.1\r\nHost: k\r\n"
      "Content-Length: 5\r\n\r\nhello");
  REQUIRE(entered.routed);
  CHECK(entered.routed->kind == TunnelKind::Stream);
  CHECK(entered.routed->tunnel.connection == 0x0100000002000003);
  CHECK(entered.routed->tunnel.secret == 0xa1b2c3d4e5f60718);
  CHECK(entered.routed->offset == 42);
  CHECK(entered.routed->body == "hello");
  REQUIRE(entered.next);
  auto* post = dynamic_cast<TunnelReplyLayer*>(entered.next.get());
  REQUIRE(post);
  CHECK(entered.answer.empty());
  CHECK_FALSE(post->ended());
  post->answer({.status = 429, .detail = "later", .retry_after_s = 2, .body = {}});
  CHECK(post->ended());
  std::vector<std::uint8_t> out;
  post->write({}, out);
  const std::string answer(out.begin(), out.end());
  CHECK(answer.starts_with("HTTP/1.1 429"));
  CHECK(answer.find("Retry-After: 2\r\n") != std::string::npos);
  CHECK(post->why().find("429") != std::string::npos);
}

TEST_CASE("requests the port refuses, each with its status and a problem body") {
  struct Case {
    const char* what;
    std::string request;
    const char* status;
  };
  const std::string post = "POST /kite/sse/0100000002000003a1b2c3d4e5f60718";
  const std::vector<Case> cases = {
      {"another path", "GET /other HTTP/1.1\r\nHost: k\r\n\r\n", "404"},
      {"a bad tunnel name", "POST /kite/sse/xyz?at=0 HTTP/1.1\r\nHost: k\r\n\r\n", "404"},
      {"no offset", post + " HTTP/1.1\r\nHost: k\r\n\r\n", "400"},
      {"a bad offset", post + "?at=-1 HTTP/1.1\r\nHost: k\r\n\r\n", "400"},
      {"a GET of a streamed tunnel",
       "GET /kite/sse/0100000002000003a1b2c3d4e5f60718 HTTP/1.1\r\n\r\n", "405"},
      {"a poll without from", "GET /kite/poll/0100000002000003a1b2c3d4e5f60718 HTTP/1.1\r\n\r\n",
       "400"},
      {"a POST to open a polled tunnel", "POST /kite/poll HTTP/1.1\r\n\r\n", "405"},
      {"a PUT of the stream", "PUT /kite/sse HTTP/1.1\r\nHost: k\r\n\r\n", "405"},
      {"a body on the stream's GET",
       "GET /kite/sse HTTP/1.1\r\nHost: k\r\nContent-Length: 2\r\n\r\nhi", "400"},
      {"a POST above 64 KiB", post + "?at=0 HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", "413"},
      {"an Origin not allowed",
       "GET /kite/sse HTTP/1.1\r\nHost: k\r\nOrigin: https://evil.example\r\n\r\n", "403"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const Entered entered = enter(c.request, {"https://app.example"});
    CHECK_FALSE(entered.next);
    CHECK_FALSE(entered.routed);
    CHECK(entered.ended);
    CHECK(status_of(entered) == c.status);
    CHECK(entered.answer.find("application/problem+json") != std::string::npos);
    CHECK(entered.why.starts_with(c.status));
  }
}

TEST_CASE("a CORS preflight is answered 204 and ends the exchange") {
  const Entered entered = enter(
      "OPTIONS /kite/sse/0100000002000003a1b2c3d4e5f60718 HTTP/1.1\r\nHost: k\r\n"
      "Origin: http://localhost:8080\r\nAccess-Control-Request-Method: POST\r\n\r\n");
  CHECK(entered.ended);
  CHECK(status_of(entered) == "204");
  CHECK(entered.answer.find("Access-Control-Allow-Origin: http://localhost:8080\r\n") !=
        std::string::npos);
  CHECK(entered.answer.find("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n") !=
        std::string::npos);
  CHECK(entered.why.empty());
}

}  // namespace
}  // namespace kite::server::websocket
