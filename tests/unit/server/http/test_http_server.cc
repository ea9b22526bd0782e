// End to end: a real HttpServer on 127.0.0.1:0 and real client sockets (see test_support.h).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>

#include "http/bearer.h"
#include "http/problem.h"
#include "test_support.h"

using namespace kite::server::http;
using namespace kite::server::http::test;
using nlohmann::json;

namespace {

// Handler state; `held` is touched on the loop thread only (tests reach it through on_loop).
struct State {
  Responder held;
  std::atomic<int> held_requests{0};
  std::atomic<int> close_callbacks{0};
};

Router make_router(State& state) {
  Router router;
  router.add("GET", "/hello", [](const HttpRequest&, const RouteParams&, Responder r) {
    r.respond(HttpResponse::text(200, "hello\n"));
  });
  router.add("POST", "/v1/devices/{id}/messages",
             [](const HttpRequest& request, const RouteParams& params, Responder r) {
               const std::string* qos = request.query_param("qos");
               json body = {{"id", params.get("id")},
                            {"body", request.body},
                            {"qos", qos != nullptr ? *qos : ""}};
               r.respond(HttpResponse{202, {{"Content-Type", "application/json"}}, body.dump()});
             });
  router.add("GET", "/secret", [](const HttpRequest& request, const RouteParams&, Responder r) {
    static const TokenSet tokens = [] {
      TokenSet set;
      set.add({"reader", token_digest("s3cret"), static_cast<std::uint8_t>(Scope::read)});
      return set;
    }();
    auto check = check_bearer(request, tokens, Scope::read);
    if (check.refusal) return r.respond(std::move(*check.refusal));
    r.respond(HttpResponse::text(200, "in"));
  });
  // Held: answered later, from another request or from the test through on_loop().
  router.add("GET", "/hold", [&state](const HttpRequest&, const RouteParams&, Responder r) {
    state.held = r;
    r.on_close([&state] { ++state.close_callbacks; });
    ++state.held_requests;
  });
  router.add("GET", "/release", [&state](const HttpRequest&, const RouteParams&, Responder r) {
    r.respond(HttpResponse::text(200, "released"));
    state.held.respond(HttpResponse::text(200, "held"));
  });
  router.add("GET", "/stream", [&state](const HttpRequest&, const RouteParams&, Responder r) {
    REQUIRE(r.start_stream(200, {{"Content-Type", "text/event-stream"}}));
    REQUIRE(r.send_chunk("data: 1\n\n"));
    r.on_close([&state] { ++state.close_callbacks; });
    state.held = r;
    ++state.held_requests;
  });
  return router;
}

void check_problem(const std::optional<ClientResponse>& response, int status) {
  REQUIRE(response.has_value());
  CHECK(response->status == status);
  REQUIRE(response->header("content-type") != nullptr);
  CHECK(*response->header("content-type") == "application/problem+json");
  json body = json::parse(response->body);
  CHECK(body["status"] == status);
  CHECK(body["type"] == "about:blank");
  CHECK(body["title"].get<std::string>() == std::string(reason_phrase(status)));
  CHECK_FALSE(body["detail"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("GET and POST round trips, reusing one keep-alive connection") {
  State state;
  TestServer server(make_router(state));
  TestClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    client.send("GET /hello HTTP/1.1\r\nHost: kite\r\n\r\n");
    auto response = client.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "hello\n");
    CHECK(*response->header("content-length") == "6");
    CHECK(response->header("connection") == nullptr);
  }
  client.send(
      "POST /v1/devices/th%2Fermo/messages?qos=1 HTTP/1.1\r\nHost: kite\r\n"
      "Content-Length: 7\r\n\r\n{\"t\":1}");
  auto response = client.read_response();
  REQUIRE(response);
  CHECK(response->status == 202);
  CHECK(json::parse(response->body) ==
        json{{"id", "th/ermo"}, {"body", "{\"t\":1}"}, {"qos", "1"}});
  CHECK(server.connection_count() == 1);
}

TEST_CASE("pipelined requests are answered in order even when the first is answered last") {
  State state;
  TestServer server(make_router(state));
  TestClient client(server.port());
  client.send("GET /hold HTTP/1.1\r\n\r\nGET /release HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
  auto first = client.read_response();
  auto second = client.read_response();
  auto third = client.read_response();
  REQUIRE((first && second && third));
  CHECK(first->body == "held");
  CHECK(second->body == "released");
  CHECK(third->body == "hello\n");
  CHECK(state.close_callbacks == 0);  // the held response completed
}

TEST_CASE("errors are problem bodies: 404, 405, 413, 431, 400, 501") {
  State state;
  HttpServerOptions options;
  options.limits.max_body_bytes = 1024;
  TestServer server(make_router(state), options);

  TestClient client(server.port());
  client.send("GET /nowhere HTTP/1.1\r\n\r\n");
  check_problem(client.read_response(), 404);
  client.send("DELETE /hello HTTP/1.1\r\n\r\n");
  auto not_allowed = client.read_response();
  check_problem(not_allowed, 405);
  CHECK(*not_allowed->header("allow") == "GET");
  client.send("GET /hello HTTP/1.1\r\n\r\n");  // still usable after 404 and 405
  CHECK(client.read_response()->status == 200);

  // Parse errors end the connection after the problem.
  struct Case {
    std::string request;
    int status;
  };
  for (const Case& c : {
           Case{"POST /v1/devices/d/messages HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
           Case{"GET /hello HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 431},
           Case{"GET /hello HTTP/1.1\r\nbad header\r\n\r\n", 400},
           Case{"BREW /pot HTTP/1.1\r\n\r\n", 501},
       }) {
    CAPTURE(c.status);
    TestClient bad(server.port());
    bad.send(c.request);
    auto response = bad.read_response();
    check_problem(response, c.status);
    CHECK(*response->header("connection") == "close");
    CHECK(bad.wait_closed());
  }
}

TEST_CASE("bearer token: 401 with WWW-Authenticate when missing or wrong") {
  State state;
  TestServer server(make_router(state));
  TestClient client(server.port());
  client.send("GET /secret HTTP/1.1\r\n\r\n");
  auto missing = client.read_response();
  check_problem(missing, 401);
  CHECK(*missing->header("www-authenticate") == "Bearer realm=\"kite\"");
  client.send("GET /secret HTTP/1.1\r\nAuthorization: Bearer wrong\r\n\r\n");
  auto wrong = client.read_response();
  check_problem(wrong, 401);
  CHECK(*wrong->header("www-authenticate") == "Bearer realm=\"kite\", error=\"invalid_token\"");
  client.send("GET /secret HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n");
  auto right = client.read_response();
  REQUIRE(right);
  CHECK(right->status == 200);
}

TEST_CASE("a client that leaves before its async answer: close callback, then a no-op") {
  State state;
  TestServer server(make_router(state));
  {
    TestClient client(server.port());
    client.send("GET /hold HTTP/1.1\r\n\r\n");
    REQUIRE(eventually([&] { return state.held_requests == 1; }));
  }
  REQUIRE(eventually([&] { return state.close_callbacks == 1; }));
  REQUIRE(eventually([&] { return server.connection_count() == 0; }));
  server.on_loop([&] {
    CHECK_FALSE(state.held.pending());
    state.held.respond(HttpResponse::text(200, "too late"));
    CHECK_FALSE(state.held.start_stream(200, {}));
    CHECK_FALSE(state.held.send_chunk("x"));
    state.held.end();
    CHECK(state.held.queued_bytes() == 0);
  });
  CHECK(state.close_callbacks == 1);
}

TEST_CASE("streaming: chunks leave as they are sent; the connection is reusable after end()") {
  State state;
  TestServer server(make_router(state));
  TestClient client(server.port());
  client.send("GET /stream HTTP/1.1\r\n\r\n");
  std::string head = client.read_until("data: 1\n\n\r\n");
  CHECK(head.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("\r\n\r\n9\r\ndata: 1\n\n\r\n") != std::string::npos);
  server.on_loop([&] {
    CHECK(state.held.pending());
    CHECK(state.held.send_chunk("data: 2\n\n"));
    state.held.end();
    CHECK_FALSE(state.held.pending());
  });
  CHECK(client.read_until("0\r\n\r\n") == "9\r\ndata: 2\n\n\r\n0\r\n\r\n");
  client.send("GET /hello HTTP/1.1\r\n\r\n");
  CHECK(client.read_response()->body == "hello\n");
  CHECK(state.close_callbacks == 0);

  // A stream whose client goes away reports it.
  {
    TestClient leaving(server.port());
    leaving.send("GET /stream HTTP/1.1\r\n\r\n");
    CHECK_FALSE(leaving.read_until("data: 1").empty());
  }
  REQUIRE(eventually([&] { return state.close_callbacks == 1; }));
  server.on_loop([&] { CHECK_FALSE(state.held.send_chunk("data: 3\n\n")); });

  // So does one still open when the server closes.
  TestClient open(server.port());
  open.send("GET /stream HTTP/1.1\r\n\r\n");
  CHECK_FALSE(open.read_until("data: 1").empty());
  server.stop();
  CHECK(state.close_callbacks == 2);
  CHECK(open.wait_closed());
}

TEST_CASE("above max_connections a client is answered 503 and closed") {
  State state;
  HttpServerOptions options;
  options.max_connections = 2;
  TestServer server(make_router(state), options);
  TestClient first(server.port());
  TestClient second(server.port());
  for (TestClient* client : {&first, &second}) {
    client->send("GET /hello HTTP/1.1\r\n\r\n");
    REQUIRE(client->read_response()->status == 200);
  }
  TestClient third(server.port());
  auto refused = third.read_response();
  check_problem(refused, 503);
  CHECK(*refused->header("connection") == "close");
  CHECK(third.wait_closed());
  third.close();  // else it lingers, counted, until the server's linger timeout

  first.close();
  REQUIRE(eventually([&] { return server.connection_count() == 1; }));
  TestClient fourth(server.port());
  fourth.send("GET /hello HTTP/1.1\r\n\r\n");
  CHECK(fourth.read_response()->status == 200);
}

TEST_CASE("idle connections close; one awaiting its answer does not") {
  State state;
  HttpServerOptions options;
  options.idle_timeout_ms = 100;
  TestServer server(make_router(state), options);

  TestClient idle(server.port());
  idle.send("GET /hello HTTP/1.1\r\n\r\n");
  REQUIRE(idle.read_response());
  auto start = std::chrono::steady_clock::now();
  CHECK(idle.wait_closed());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

  TestClient waiting(server.port());
  waiting.send("GET /hold HTTP/1.1\r\n\r\n");
  REQUIRE(eventually([&] { return state.held_requests == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  server.on_loop([&] { state.held.respond(HttpResponse::text(200, "late")); });
  auto response = waiting.read_response();
  REQUIRE(response);
  CHECK(response->body == "late");
  CHECK(waiting.wait_closed());  // idle again now
}

TEST_CASE("Connection: close is honoured; Expect: 100-continue is answered") {
  State state;
  TestServer server(make_router(state));
  TestClient closing(server.port());
  closing.send("GET /hello HTTP/1.1\r\nConnection: close\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
  auto response = closing.read_response();
  REQUIRE(response);
  CHECK(*response->header("connection") == "close");
  CHECK(closing.wait_closed());

  TestClient expecting(server.port());
  expecting.send(
      "POST /v1/devices/d/messages HTTP/1.1\r\nExpect: 100-continue\r\n"
      "Content-Length: 2\r\n\r\n");
  CHECK(expecting.read_until("\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  expecting.send("hi");
  auto accepted = expecting.read_response();
  REQUIRE(accepted);
  CHECK(accepted->status == 202);
}
