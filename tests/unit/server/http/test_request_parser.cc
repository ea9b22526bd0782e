// The request parser alone: any split of the input, pipelining, limits and their statuses,
// malformed input, percent-decoding, and errors that stick.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http/percent.h"
#include "http/request_parser.h"

using namespace kite::server::http;

namespace {

const std::string kThree =
    "GET /v1/devices/d%201/presence?verbose=1&name=a+b%26c HTTP/1.1\r\n"
    "Host: kite\r\nX-Empty:\r\nX-Trim:  spaced out  \r\n\r\n"
    "POST /v1/send HTTP/1.1\r\nHost: kite\r\nContent-Length: 5\r\n\r\nhello"
    "POST /v1/batch HTTP/1.1\r\nHost: kite\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";

struct Outcome {
  std::vector<HttpRequest> requests;
  std::optional<ParseError> error;
};

Outcome feed_in_pieces(const std::string& input, std::vector<std::size_t> cuts,
                       ParserLimits limits = {}) {
  RequestParser parser(limits);
  Outcome outcome;
  std::size_t from = 0;
  cuts.push_back(input.size());
  for (std::size_t cut : cuts) {
    FeedResult result = parser.feed(std::string_view(input).substr(from, cut - from));
    for (auto& request : result.requests) outcome.requests.push_back(std::move(request));
    if (result.error) outcome.error = result.error;
    from = cut;
  }
  return outcome;
}

Outcome feed_whole(const std::string& input, ParserLimits limits = {}) {
  return feed_in_pieces(input, {}, limits);
}

int error_status(const std::string& input, ParserLimits limits = {}) {
  Outcome outcome = feed_whole(input, limits);
  return outcome.error ? outcome.error->status : 0;
}

void check_three(const Outcome& outcome) {
  REQUIRE_FALSE(outcome.error);
  REQUIRE(outcome.requests.size() == 3);
  const HttpRequest& get = outcome.requests[0];
  CHECK(get.method == "GET");
  CHECK(get.path == "/v1/devices/d%201/presence");
  CHECK(get.segments == std::vector<std::string>{"v1", "devices", "d 1", "presence"});
  REQUIRE(get.query_param("name") != nullptr);
  CHECK(*get.query_param("name") == "a b&c");
  CHECK(*get.query_param("verbose") == "1");
  CHECK(*get.header("host") == "kite");
  CHECK(*get.header("x-empty") == "");
  CHECK(*get.header("x-trim") == "spaced out");
  CHECK(get.headers.size() == 3);
  CHECK(get.keep_alive);
  CHECK(outcome.requests[1].body == "hello");
  CHECK(outcome.requests[1].segments == std::vector<std::string>{"v1", "send"});
  CHECK(outcome.requests[2].body == "abcde");
}

}  // namespace

TEST_CASE("pipelined requests in one feed come out complete and in order") {
  check_three(feed_whole(kThree));
}

TEST_CASE("every split of the input gives the same requests") {
  for (std::size_t cut = 0; cut <= kThree.size(); ++cut) {
    CAPTURE(cut);
    check_three(feed_in_pieces(kThree, {cut}));
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < kThree.size(); ++i) every_byte.push_back(i);
  check_three(feed_in_pieces(kThree, every_byte));
}

TEST_CASE("a body above the limit is refused with 413 before it is sent") {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  CHECK(error_status("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits) == 413);
  CHECK(error_status("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits) == 0);
  // Chunked: refused as soon as the chunks pass the limit.
  CHECK(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "6\r\nabcdef\r\n5\r\nghijk\r\n",
                     limits) == 413);
  CHECK(error_status("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
}

TEST_CASE("a head above the byte or count limit is refused with 431") {
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n";
  CHECK(error_status(big) == 431);
  std::string long_target = "GET /" + std::string(17 * 1024, 'a') + " HTTP/1.1\r\n\r\n";
  CHECK(error_status(long_target) == 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(error_status(many + "\r\n") == 431);
  ParserLimits small;
  small.max_header_bytes = 64;
  CHECK(error_status("GET / HTTP/1.1\r\nX-A: " + std::string(70, 'a') + "\r\n\r\n", small) == 431);
  CHECK(error_status("GET / HTTP/1.1\r\nX-A: short\r\n\r\n", small) == 0);
}

TEST_CASE("malformed and unsupported requests get the right status") {
  CHECK(error_status("GET / HTTP/1.1\r\nNo colon here\r\n\r\n") == 400);
  CHECK(error_status("GET /a%zz HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_status("GET /a?b=%4 HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_status("GET * HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_status("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") == 400);
  CHECK(error_status("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0\r\n\r\n") == 400);
  CHECK(error_status("BREW /pot HTTP/1.1\r\n\r\n") == 501);
  CHECK(error_status("CONNECT kite:443 HTTP/1.1\r\n\r\n") == 501);
  CHECK(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") ==
        501);
  CHECK(error_status("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(error_status("\x01\x02garbage") == 501);
}

TEST_CASE("an error sticks and the requests before it are kept") {
  RequestParser parser;
  FeedResult first = parser.feed("GET /ok HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nbad header\r\n\r\n");
  REQUIRE(first.requests.size() == 1);
  CHECK(first.requests[0].path == "/ok");
  REQUIRE(first.error);
  CHECK(first.error->status == 400);
  FeedResult again = parser.feed("GET /ok HTTP/1.1\r\n\r\n");
  CHECK(again.requests.empty());
  REQUIRE(again.error);
  CHECK(again.error->status == 400);
}

TEST_CASE("Connection: close and HTTP/1.0 end the connection; later bytes are ignored") {
  RequestParser parser;
  FeedResult result =
      parser.feed("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  REQUIRE(result.requests.size() == 1);
  CHECK_FALSE(result.requests[0].keep_alive);
  CHECK(parser.done());
  CHECK_FALSE(result.error);
  CHECK(parser.feed("GET /c HTTP/1.1\r\n\r\n").requests.empty());

  Outcome old = feed_whole("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(old.requests.size() == 1);
  CHECK_FALSE(old.requests[0].keep_alive);
  Outcome old_keep = feed_whole("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(old_keep.requests.at(0).keep_alive);
}

TEST_CASE("Upgrade headers are ignored: the next pipelined request still parses") {
  Outcome outcome = feed_whole(
      "GET /a HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /b "
      "HTTP/1.1\r\n\r\n");
  REQUIRE_FALSE(outcome.error);
  REQUIRE(outcome.requests.size() == 2);
  CHECK(outcome.requests[1].path == "/b");
}

TEST_CASE("more than one Transfer-Encoding header is refused with 400") {
  // A proxy reading the last header (gzip) and kited reading chunked would split differently.
  CHECK(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n") == 400);
  CHECK(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 0);
}

TEST_CASE("Expect: 100-continue is reported once, before the body") {
  RequestParser parser;
  parser.feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(parser.take_continue_wanted());
  CHECK_FALSE(parser.take_continue_wanted());
  CHECK(parser.feed("ok").requests.size() == 1);
}

TEST_CASE("targets: absolute form, root, trailing slash, encoded slash") {
  Outcome outcome = feed_whole(
      "GET http://kite:8080/v1/x?a=1 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"
      "GET /a/ HTTP/1.1\r\n\r\nGET /d/a%2Fb?&k&=v HTTP/1.1\r\n\r\n");
  REQUIRE(outcome.requests.size() == 4);
  CHECK(outcome.requests[0].path == "/v1/x");
  CHECK(*outcome.requests[0].query_param("a") == "1");
  CHECK(outcome.requests[1].segments.empty());
  CHECK(outcome.requests[2].segments == std::vector<std::string>{"a", ""});
  CHECK(outcome.requests[3].segments == std::vector<std::string>{"d", "a/b"});
  CHECK(*outcome.requests[3].query_param("k") == "");
  CHECK(*outcome.requests[3].query_param("") == "v");
}

TEST_CASE("percent_decode") {
  CHECK(percent_decode("a%20b+c", false) == "a b+c");
  CHECK(percent_decode("a%20b+c", true) == "a b c");
  CHECK(percent_decode("%e2%82%AC", false) == "\xe2\x82\xac");
  CHECK_FALSE(percent_decode("%", false));
  CHECK_FALSE(percent_decode("%4", false));
  CHECK_FALSE(percent_decode("%g0", false));
  CHECK(percent_decode("", true) == "");
}
