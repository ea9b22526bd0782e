// The router alone: parameters, precedence, 404 and 405 problems, and bad patterns.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

#include "http/request_parser.h"
#include "http/router.h"

using namespace kite::server::http;

namespace {

HttpRequest request(const std::string& method, const std::string& target) {
  RequestParser parser;
  FeedResult result = parser.feed(method + " " + target + " HTTP/1.1\r\n\r\n");
  REQUIRE(result.requests.size() == 1);
  return result.requests[0];
}

Handler named(std::string* out, std::string name) {
  return [out, name](const HttpRequest&, const RouteParams&, Responder) { *out = name; };
}

}  // namespace

TEST_CASE("routes match literals and extract decoded parameters") {
  std::string called;
  Router router;
  router.add("GET", "/v1/devices/online", named(&called, "online"));
  router.add("POST", "/v1/devices/{id}/messages", named(&called, "send"));
  router.add("GET", "/v1/devices/{id}", named(&called, "device"));
  router.add("GET", "/", named(&called, "root"));

  auto routed = router.route(request("POST", "/v1/devices/th%2Fermo%201/messages"));
  auto* match = std::get_if<Router::Match>(&routed);
  REQUIRE(match != nullptr);
  (*match->handler)(HttpRequest{}, match->params, Responder{});
  CHECK(called == "send");
  CHECK(match->params.get("id") == "th/ermo 1");
  CHECK(match->params.find("other") == nullptr);
  CHECK(match->params.get("other") == "");

  // The first route added wins: the literal before the parameter.
  routed = router.route(request("GET", "/v1/devices/online"));
  (*std::get<Router::Match>(routed).handler)(HttpRequest{}, {}, Responder{});
  CHECK(called == "online");
  routed = router.route(request("GET", "/"));
  (*std::get<Router::Match>(routed).handler)(HttpRequest{}, {}, Responder{});
  CHECK(called == "root");
}

TEST_CASE("no path match is a 404 problem; an empty segment never fills a parameter") {
  Router router;
  router.add("GET", "/v1/devices/{id}", [](const HttpRequest&, const RouteParams&, Responder) {});
  for (const char* target : {"/v1/devices/", "/v1/devices", "/v1//x", "/v1/devices/a/b"}) {
    CAPTURE(target);
    auto routed = router.route(request("GET", target));
    auto* response = std::get_if<HttpResponse>(&routed);
    REQUIRE(response != nullptr);
    CHECK(response->status == 404);
    auto body = nlohmann::json::parse(response->body);
    CHECK(body["status"] == 404);
    CHECK(body["title"] == "Not Found");
  }
}

TEST_CASE("a path match with another method is a 405 with Allow") {
  Router router;
  auto nothing = [](const HttpRequest&, const RouteParams&, Responder) {};
  router.add("GET", "/v1/groups/{g}", nothing);
  router.add("PUT", "/v1/groups/{name}", nothing);
  router.add("GET", "/v1/groups/{x}", nothing);
  auto routed = router.route(request("DELETE", "/v1/groups/blue"));
  auto& response = std::get<HttpResponse>(routed);
  CHECK(response.status == 405);
  std::string allow;
  for (const auto& [name, value] : response.headers)
    if (name == "Allow") allow = value;
  CHECK(allow == "GET, PUT");
  auto body = nlohmann::json::parse(response.body);
  CHECK(body["status"] == 405);
  CHECK(body["detail"] == "this resource does not accept DELETE");
}

TEST_CASE("bad patterns are refused when added") {
  Router router;
  auto nothing = [](const HttpRequest&, const RouteParams&, Responder) {};
  for (const char* pattern :
       {"", "v1", "/v1/", "//", "/v1//x", "/{}", "/{a", "/a{b}", "/{a}/{a}"}) {
    CAPTURE(pattern);
    CHECK_THROWS_AS(router.add("GET", pattern, nothing), std::invalid_argument);
  }
  CHECK_NOTHROW(router.add("GET", "/{a}/{b}", nothing));
}
