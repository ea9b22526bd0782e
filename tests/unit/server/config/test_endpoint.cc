// Listener addresses: numeric IPv4, bracketed IPv6, ports 0..65535, and nothing else.
#include <doctest/doctest.h>

#include "config/endpoint.h"

using namespace kite::server::config;

TEST_CASE("IPv4 and bracketed IPv6 endpoints parse") {
  auto v4 = parse_endpoint("127.0.0.1:7000");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 7000);
  CHECK_FALSE(v4->ipv6);
  CHECK(v4->is_loopback());

  auto v6 = parse_endpoint("[::1]:7001");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 7001);
  CHECK(v6->ipv6);
  CHECK(v6->is_loopback());

  auto any6 = parse_endpoint("[::]:65535");
  REQUIRE(any6);
  CHECK_FALSE(any6->is_loopback());
  CHECK_FALSE(parse_endpoint("0.0.0.0:7000")->is_loopback());
  CHECK(parse_endpoint("127.8.0.2:1")->is_loopback());
}

TEST_CASE("port 0 asks for an ephemeral port") {
  auto endpoint = parse_endpoint("127.0.0.1:0");
  REQUIRE(endpoint);
  CHECK(endpoint->port == 0);
}

TEST_CASE("malformed endpoints are refused") {
  for (const char* text : {"", "7000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                           "127.0.0.1:70x", "localhost:7000", "::1:7000", "[::1]", "[::1:7000",
                           "[127.0.0.1]:7000", "256.0.0.1:7000", " 127.0.0.1:7000"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_endpoint(text));
  }
}
