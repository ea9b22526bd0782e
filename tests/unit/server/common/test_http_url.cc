// parse_http_url(): the receiver URLs a webhook accepts, and the ones it refuses with a reason.
#include <doctest/doctest.h>

#include "common/http_url.h"

using kite::server::HttpUrl;
using kite::server::parse_http_url;

TEST_CASE("http and https URLs give scheme, host, port and target") {
  HttpUrl url;
  REQUIRE(parse_http_url("http://127.0.0.1:8080/hooks/kite", url).empty());
  CHECK_FALSE(url.https);
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 8080);
  CHECK(url.target == "/hooks/kite");
  CHECK(url.host_header() == "127.0.0.1:8080");

  REQUIRE(parse_http_url("https://hooks.example.com/kite?key=1#frag", url).empty());
  CHECK(url.https);
  CHECK(url.port == 443);
  CHECK(url.target == "/kite?key=1");
  CHECK(url.host_header() == "hooks.example.com");

  REQUIRE(parse_http_url("https://[::1]:8443", url).empty());
  CHECK(url.host == "::1");
  CHECK(url.target == "/");
  CHECK(url.host_header() == "[::1]:8443");

  REQUIRE(parse_http_url("http://example.com?x=1", url).empty());
  CHECK(url.target == "/?x=1");
  CHECK(url.port == 80);
}

TEST_CASE("bad URLs are refused with what is wrong") {
  HttpUrl url;
  CHECK(parse_http_url("ftp://example.com/", url) ==
        "expected a URL starting with http:// or https://");
  CHECK(parse_http_url("example.com/", url) == "expected a URL starting with http:// or https://");
  CHECK(parse_http_url("http:///path", url) == "expected a host");
  CHECK(parse_http_url("http://host:0/", url) == "the port is not a number 1..65535");
  CHECK(parse_http_url("http://host:70000/", url) == "the port is not a number 1..65535");
  CHECK(parse_http_url("http://host:x/", url) == "the port is not a number 1..65535");
  CHECK(parse_http_url("http://user:pw@host/", url).find("no user:password@") == 0);
  CHECK(parse_http_url("http://[::1/", url) == "an IPv6 host needs its closing ']'");
  CHECK(parse_http_url("http://ho st/", url) == "a URL has no spaces or control characters");
  CHECK(parse_http_url("http://h%t/", url) == "the host has a character a host name cannot have");
}
