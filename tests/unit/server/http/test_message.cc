// Plain values: response bytes, problem bodies, the bearer check and response ordering.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "http/bearer.h"
#include "http/problem.h"
#include "http/request_parser.h"
#include "http/response_queue.h"

using namespace kite::server::http;

namespace {

HttpRequest with_authorization(const std::string& value) {
  HttpRequest request;
  request.headers.emplace_back("authorization", value);
  return request;
}

std::string header_of(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return value;
  return "";
}

}  // namespace

TEST_CASE("responses carry Content-Length; the server owns framing headers") {
  HttpResponse response = HttpResponse::text(200, "hello");
  response.headers.emplace_back("content-length", "999");
  response.headers.emplace_back("Transfer-Encoding", "chunked");
  response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
  response.headers.emplace_back("X-Fine", "yes");
  std::string bytes = serialize_response(response, false);
  CHECK(bytes.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(bytes.find("Content-Length: 5\r\n\r\nhello") != std::string::npos);
  CHECK(bytes.find("999") == std::string::npos);
  CHECK(bytes.find("chunked") == std::string::npos);
  CHECK(bytes.find("Set-Cookie") == std::string::npos);
  CHECK(bytes.find("X-Fine: yes\r\n") != std::string::npos);
  CHECK(bytes.find("Connection") == std::string::npos);
  CHECK(serialize_response(response, true).find("Connection: close\r\n") != std::string::npos);

  std::string empty = serialize_response(HttpResponse{204, {}, "ignored"}, false);
  CHECK(empty.find("Content-Length") == std::string::npos);
  CHECK(empty.find("ignored") == std::string::npos);
  CHECK(serialize_chunk("abc") == "3\r\nabc\r\n");
  CHECK(serialize_chunk(std::string(255, 'x')).rfind("ff\r\n", 0) == 0);
  CHECK(serialize_chunk("").empty());
  CHECK(reason_phrase(999) == "Unknown");
  CHECK(asks_to_close({{"CONNECTION", "Close"}}));
}

TEST_CASE("problem bodies follow RFC 7807") {
  HttpResponse response = problem_response(413, "", "too big");
  CHECK(response.status == 413);
  CHECK(header_of(response, "Content-Type") == "application/problem+json");
  auto body = nlohmann::json::parse(response.body);
  CHECK(body["type"] == "about:blank");
  CHECK(body["title"] == "Payload Too Large");
  CHECK(body["status"] == 413);
  CHECK(body["detail"] == "too big");

  Problem problem{429, "Slow down", "rate limited", "https://kite.dev/problems/rate"};
  problem.extra = {{"retry_after", 5}, {"status", "ignored"}};
  body = problem.to_json();
  CHECK(body["retry_after"] == 5);
  CHECK(body["status"] == 429);
  CHECK(body["title"] == "Slow down");
  CHECK(body["type"] == "https://kite.dev/problems/rate");
  // Invalid UTF-8 in a detail is replaced, not thrown.
  CHECK_NOTHROW(problem_response(400, "", "bad \xff byte"));
}

TEST_CASE("bearer tokens: scheme, spacing, mismatch, empty expectation") {
  // Whether `request` carries `expected` as its bearer token; no token configured for "".
  auto bearer_matches = [](const HttpRequest& request, std::string_view expected) {
    TokenSet tokens;
    if (!expected.empty())
      tokens.add({"t", token_digest(expected), static_cast<std::uint8_t>(Scope::read)});
    return !check_bearer(request, tokens, Scope::read).refusal.has_value();
  };
  CHECK(bearer_matches(with_authorization("Bearer s3cret"), "s3cret"));
  CHECK(bearer_matches(with_authorization("bearer   s3cret"), "s3cret"));
  CHECK_FALSE(bearer_matches(with_authorization("Bearer s3cre"), "s3cret"));
  CHECK_FALSE(bearer_matches(with_authorization("Bearer s3cret2"), "s3cret"));
  CHECK_FALSE(bearer_matches(with_authorization("Basic czNjcmV0"), "s3cret"));
  CHECK_FALSE(bearer_matches(with_authorization("Bearer "), ""));
  CHECK_FALSE(bearer_matches(with_authorization("Bearer x"), ""));
  CHECK_FALSE(bearer_matches(HttpRequest{}, "s3cret"));

  HttpResponse missing = unauthorized_response(HttpRequest{});
  CHECK(missing.status == 401);
  CHECK(header_of(missing, "WWW-Authenticate") == "Bearer realm=\"kite\"");
  HttpResponse wrong = unauthorized_response(with_authorization("Bearer nope"));
  CHECK(header_of(wrong, "WWW-Authenticate") == "Bearer realm=\"kite\", error=\"invalid_token\"");
  CHECK(nlohmann::json::parse(wrong.body)["status"] == 401);
}

TEST_CASE("the response queue releases bytes in request order") {
  ResponseQueue queue;
  std::uint64_t a = queue.open(false);
  std::uint64_t b = queue.open(false);
  std::uint64_t c = queue.open(true);
  std::uint64_t d = queue.open(false);
  auto done = [&](std::uint64_t seq, std::string bytes) {
    queue.find(seq)->bytes = std::move(bytes);
    queue.find(seq)->state = ResponseQueue::State::Done;
  };
  done(b, "B");
  CHECK(queue.take().bytes.empty());  // a is still waiting
  queue.find(a)->state = ResponseQueue::State::Streaming;
  queue.find(a)->bytes = "a1";
  CHECK(queue.take().bytes == "a1");
  queue.find(a)->bytes = "a2";
  queue.find(a)->state = ResponseQueue::State::Done;
  done(d, "D");
  done(c, "C");
  ResponseQueue::Ready ready = queue.take();
  CHECK(ready.bytes == "a2BC");  // c closes the connection: d is never sent
  CHECK(ready.close);
  CHECK(queue.find(a) == nullptr);
  int called = 0;
  queue.find(d)->on_close = [&] { ++called; };
  auto callbacks = queue.clear();
  for (auto& callback : callbacks) callback();
  CHECK(called == 1);
  CHECK(queue.empty());
}
