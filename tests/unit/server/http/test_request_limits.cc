// What bounds one client's requests before a handler runs: the head check that refuses a body
// unread, the per-feed request budget (held bytes), and the head and body deadlines.
#include <doctest/doctest.h>

#include <string>

#include "http/problem.h"
#include "http/request_deadline.h"
#include "http/request_parser.h"
#include "http/router.h"

using namespace kite::server::http;

namespace {

const std::string kBigPost =
    "POST /v1/things HTTP/1.1\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n";

std::string get(int i) {
  return "GET /r/" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
}

}  // namespace

TEST_CASE("the head check refuses a body before any of it is kept, and no 100-continue") {
  RequestParser parser;
  int checked = 0;
  parser.set_head_check([&](const HttpRequest& head) -> std::optional<HttpResponse> {
    ++checked;
    CHECK(head.path == "/v1/things");
    return problem_response(401, "", "no token");
  });
  FeedResult result = parser.feed(kBigPost);
  REQUIRE(result.error);
  CHECK(result.error->status == 401);
  REQUIRE(result.error->response);
  CHECK(result.error->response->status == 401);
  CHECK_FALSE(parser.take_continue_wanted());
  CHECK(checked == 1);
  // A request without a body is left to its handler.
  RequestParser plain;
  plain.set_head_check([&](const HttpRequest&) { return problem_response(401, "", "x"); });
  CHECK(plain.feed(get(1)).requests.size() == 1);
  CHECK(checked == 1);
}

TEST_CASE("a head check that passes lets the body and 100-continue through") {
  RequestParser parser;
  parser.set_head_check([](const HttpRequest&) { return std::optional<HttpResponse>(); });
  CHECK_FALSE(
      parser.feed("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").error);
  CHECK(parser.take_continue_wanted());
  CHECK(parser.phase() == RequestParser::Phase::body);
  CHECK(parser.feed("o").requests.empty());
  CHECK(parser.body_bytes() == 1);
  CHECK(parser.feed("k").requests.size() == 1);
  CHECK(parser.phase() == RequestParser::Phase::idle);
}

TEST_CASE("the request budget holds later requests, unparsed, for the next feed") {
  std::string input;
  for (int i = 0; i < 10; ++i) input += get(i);
  RequestParser parser;
  FeedResult first = parser.feed(input, 3);
  REQUIRE(first.requests.size() == 3);
  CHECK(first.requests[2].path == "/r/2");
  CHECK(parser.holding());
  CHECK(parser.feed({}, 0).requests.empty());  // no room: still held
  CHECK(parser.holding());
  FeedResult rest = parser.feed(get(10), 100);  // held bytes first, then the new ones
  REQUIRE(rest.requests.size() == 8);
  CHECK(rest.requests[0].path == "/r/3");
  CHECK(rest.requests[7].path == "/r/10");
  CHECK_FALSE(parser.holding());
}

TEST_CASE("Router::check_head: 404, 405 and the route's guard, before the body") {
  Router router;
  router.add("POST", "/open", [](const HttpRequest&, const RouteParams&, Responder) {});
  router.add("POST", "/guarded/{id}",
             GuardedHandler{[](const HttpRequest& head) -> std::optional<HttpResponse> {
                              if (head.header("authorization")) return std::nullopt;
                              return problem_response(401, "", "no token");
                            },
                            [](const HttpRequest&, const RouteParams&, Responder) {}});
  auto head = [](std::string method, std::vector<std::string> segments, bool token) {
    HttpRequest request;
    request.method = std::move(method);
    request.segments = std::move(segments);
    if (token) request.headers.emplace_back("authorization", "Bearer x");
    return request;
  };
  CHECK_FALSE(router.check_head(head("POST", {"open"}, false)));
  CHECK(router.check_head(head("POST", {"nowhere"}, true))->status == 404);
  CHECK(router.check_head(head("PUT", {"open"}, true))->status == 405);
  CHECK(router.check_head(head("POST", {"guarded", "a"}, false))->status == 401);
  CHECK_FALSE(router.check_head(head("POST", {"guarded", "a"}, true)));
}

TEST_CASE("RequestDeadline: a head must finish in time however it trickles") {
  RequestDeadline deadline({1'000, 1'000});
  using Phase = RequestParser::Phase;
  deadline.observe(Phase::idle, 0, 0, 0);
  CHECK_FALSE(deadline.overdue(1'000'000));  // between requests: the idle timeout's business
  deadline.observe(Phase::head, 1, 0, 100);
  for (std::uint64_t t = 200; t < 1'100; t += 100) deadline.observe(Phase::head, 1, 0, t);
  CHECK_FALSE(deadline.overdue(1'099));
  CHECK(deadline.overdue(1'100));
  deadline.observe(Phase::head, 2, 0, 1'100);  // the next request starts its own clock
  CHECK_FALSE(deadline.overdue(2'000));
}

TEST_CASE("RequestDeadline: a body must keep the minimum rate after the grace") {
  RequestDeadline deadline({1'000, 1'000});  // 1 s grace, then 1 byte per ms on average
  using Phase = RequestParser::Phase;
  deadline.observe(Phase::body, 1, 0, 0);
  CHECK_FALSE(deadline.overdue(1'000));
  CHECK(deadline.overdue(1'001));
  deadline.observe(Phase::body, 1, 5'000, 1'000);  // 5,000 bytes buy 5 s more
  CHECK_FALSE(deadline.overdue(6'000));
  CHECK(deadline.overdue(6'001));
  RequestDeadline off({1'000, 0});
  off.observe(Phase::body, 1, 0, 0);
  CHECK_FALSE(off.overdue(1'000'000));
}
