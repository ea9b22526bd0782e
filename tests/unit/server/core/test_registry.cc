// The registry: the newest connection for a device wins, and a replaced connection closing late
// cannot unregister its successor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/registry.h"

using namespace kite::server;

namespace {

PeerIp ipv4(const char* text) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, text, &address.sin_addr) == 1);
  return PeerIp::from(reinterpret_cast<const sockaddr*>(&address));
}

}  // namespace

TEST_CASE("a peer IP is kept binary and shown as text") {
  CHECK(ipv4("127.0.3.41").text() == "127.0.3.41");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr) == 1);
  CHECK(PeerIp::from(reinterpret_cast<const sockaddr*>(&v6)).text() == "2001:db8::7");
  sockaddr unix_address{};
  unix_address.sa_family = AF_UNIX;
  CHECK_FALSE(PeerIp::from(&unix_address).known());
  CHECK(PeerIp().text() == "?");
  CHECK(sizeof(PeerIp) <= 17);
}

TEST_CASE("claim returns the displaced route; release only removes its own") {
  Registry registry;
  Route first{
      .connection = 1, .since_ms = 100, .worker = 0, .tls = false, .address = ipv4("127.0.0.1")},
      second{.connection = 2, .since_ms = 200, .worker = 1, .address = ipv4("127.0.0.2")};
  CHECK_FALSE(registry.claim("dev", first).displaced.has_value());
  const Claim taken = registry.claim("dev", second);
  CHECK_FALSE(taken.superseded);
  REQUIRE(taken.displaced);
  CHECK(*taken.displaced == first);
  registry.release("dev", first);  // the old connection closes late
  REQUIRE(registry.find("dev"));
  CHECK(registry.find("dev")->connection == 2);
  registry.release("dev", second);
  CHECK_FALSE(registry.find("dev"));
  CHECK(registry.online() == 0);
}

// A device gave up on a slow handshake (Hello at 100) and opened another (Hello at 200); the server
// reads the first one's proof last. The session the device uses must stay.
TEST_CASE("a claim whose Hello came before the holder's is superseded; equal times take over") {
  Registry registry;
  Route newer{
      .connection = 2, .since_ms = 200, .worker = 0, .tls = false, .address = ipv4("127.0.0.1")},
      abandoned{.connection = 1, .since_ms = 100, .worker = 1, .address = ipv4("127.0.0.1")};
  CHECK_FALSE(registry.claim("dev", newer).superseded);
  const Claim late = registry.claim("dev", abandoned);
  CHECK(late.superseded);
  CHECK_FALSE(late.displaced);
  REQUIRE(registry.find("dev"));
  CHECK(registry.find("dev")->connection == 2);
  registry.release("dev", abandoned);  // the abandoned attempt closes
  CHECK(registry.find("dev")->connection == 2);
  Route same_time{
      .connection = 3, .since_ms = 200, .worker = 1, .tls = false, .address = ipv4("127.0.0.1")};
  const Claim tie = registry.claim("dev", same_time);
  CHECK_FALSE(tie.superseded);
  REQUIRE(tie.displaced);
  CHECK(tie.displaced->connection == 2);
}

TEST_CASE("concurrent claims and releases from several threads stay consistent") {
  Registry registry;
  std::vector<std::thread> threads;
  for (std::uint32_t w = 0; w < 4; ++w)
    threads.emplace_back([&registry, w] {
      for (std::uint64_t i = 0; i < 5000; ++i) {
        std::string id = "d" + std::to_string(i % 500);
        Route r{
            .connection = w * 100000 + i, .since_ms = 0, .worker = w, .tls = false, .address = {}};
        registry.claim(id, r);
        if (i % 3 == 0) registry.release(id, r);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(registry.online() <= 500);
  for (int i = 0; i < 500; ++i)
    if (auto r = registry.find("d" + std::to_string(i))) CHECK(r->worker < 4);
}

TEST_CASE("list pages through online devices in id order") {
  Registry registry;
  for (int i = 0; i < 250; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "dev-%03d", (i * 37) % 250);  // claimed out of order
    registry.claim(id, Route{.connection = static_cast<std::uint64_t>(i + 1),
                             .since_ms = 0,
                             .worker = 0,
                             .tls = false,
                             .address = {}});
  }
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = registry.list(after, 100);
    if (page.empty()) break;
    for (const auto& [id, route] : page) seen.push_back(id);
    after = page.back().first;
  }
  REQUIRE(seen.size() == 250);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.front() == "dev-000");
  CHECK(seen.back() == "dev-249");
  CHECK(registry.list("dev-248", 100).size() == 1);
  CHECK(registry.list("", 0).empty());
}
