// The HTTP server behind a gate (common/peer_gate.h): a refused address is closed without an
// answer, a source over its cap gets 429, and the count goes down when connections close.
#include <doctest/doctest.h>

#include <thread>

#include "common/log.h"
#include "common/peer_gate.h"
#include "test_support.h"

using namespace kite::server;
using namespace kite::server::http;
using namespace kite::server::http::test;

namespace {

Router hello_router() {
  Router router;
  router.add("GET", "/hello", [](const HttpRequest&, const RouteParams&, Responder r) {
    r.respond(HttpResponse::text(200, "hello\n"));
  });
  return router;
}

PeerGate::Policy policy(const std::vector<std::string>& deny, std::uint32_t cap) {
  std::vector<std::string> errors;
  PeerGate::Policy p{AddressPolicy::parse({}, deny, "admin.", errors), cap, {}};
  REQUIRE(errors.empty());
  return p;
}

const IpAddress kLoopback = *IpAddress::parse("127.0.0.1");

}  // namespace

TEST_CASE("a denied address is closed at once, without an answer") {
  log::configure(log::Level::error, log::Format::text);
  PeerGate gate("admin");
  gate.configure(policy({"127.0.0.0/8"}, 0));
  HttpServerOptions options;
  options.gate = &gate;
  TestServer server(hello_router(), options);
  TestClient client(server.port());
  client.send("GET /hello HTTP/1.1\r\n\r\n");
  CHECK(client.wait_closed());
  CHECK(gate.refused(Refusal::deny_list) == 1);
}

TEST_CASE("over the per-IP cap: 429 and close; a slot frees when a connection closes") {
  log::configure(log::Level::error, log::Format::text);
  PeerGate gate("admin");
  gate.configure(policy({}, 1));
  HttpServerOptions options;
  options.gate = &gate;
  TestServer server(hello_router(), options);

  auto first = std::make_unique<TestClient>(server.port());
  first->send("GET /hello HTTP/1.1\r\n\r\n");
  auto hello = first->read_response();
  REQUIRE(hello);
  CHECK(hello->status == 200);

  TestClient second(server.port());
  auto refused = second.read_response();
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(second.wait_closed());
  CHECK(gate.refused(Refusal::per_ip_cap) == 1);

  first.reset();  // the server sees EOF and closes: its count goes back to 0
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (gate.connections_from(kLoopback) != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling pace
  REQUIRE(gate.connections_from(kLoopback) == 0);
  TestClient third(server.port());
  third.send("GET /hello HTTP/1.1\r\n\r\n");
  auto again = third.read_response();
  REQUIRE(again);
  CHECK(again->status == 200);
}
