// The gate of a port: address lists first, then the per-source cap (IPv4 address or IPv6 /64),
// counted until leave(); reconfiguration applies to the next connection.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "common/log.h"
#include "common/peer_gate.h"

using namespace kite::server;

namespace {

IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}

PeerGate::Policy policy(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                        std::uint32_t cap) {
  std::vector<std::string> errors;
  PeerGate::Policy p{AddressPolicy::parse(allow, deny, "", errors), cap, {}};
  REQUIRE(errors.empty());
  return p;
}

struct QuietLogs {
  QuietLogs() { log::configure(log::Level::error, log::Format::text); }
  ~QuietLogs() { log::configure(log::Level::info, log::Format::text); }
};

}  // namespace

TEST_CASE("an unconfigured gate admits everyone and counts nothing") {
  PeerGate gate("device");
  auto admission = gate.enter(ip("192.0.2.1"));
  CHECK(admission.refusal == Refusal::none);
  CHECK_FALSE(admission.counted);
  CHECK(gate.connections_from(ip("192.0.2.1")) == 0);
}

TEST_CASE("address lists refuse before the cap is looked at, and are counted by reason") {
  QuietLogs quiet;
  PeerGate gate("device");
  gate.configure(policy({"10.0.0.0/8"}, {"10.0.0.2"}, 5));
  CHECK(gate.enter(ip("10.0.0.2")).refusal == Refusal::deny_list);
  CHECK(gate.enter(ip("192.0.2.1")).refusal == Refusal::not_allowed);
  CHECK(gate.enter(ip("192.0.2.1")).refusal == Refusal::not_allowed);
  CHECK(gate.refused(Refusal::deny_list) == 1);
  CHECK(gate.refused(Refusal::not_allowed) == 2);
  CHECK(gate.refused(Refusal::per_ip_cap) == 0);
  CHECK(gate.connections_from(ip("10.0.0.2")) == 0);
  CHECK(refusal_name(Refusal::not_allowed) == "not_allowed");
}

TEST_CASE("the per-IP cap refuses the cap+1-th connection from one source, not from another") {
  QuietLogs quiet;
  PeerGate gate("device");
  gate.configure(policy({}, {}, 3));
  for (int i = 0; i < 3; ++i) {
    auto admission = gate.enter(ip("127.0.0.2"));
    CHECK(admission.refusal == Refusal::none);
    CHECK(admission.counted);
  }
  CHECK(gate.connections_from(ip("127.0.0.2")) == 3);
  CHECK(gate.enter(ip("127.0.0.2")).refusal == Refusal::per_ip_cap);
  CHECK(gate.enter(ip("::ffff:127.0.0.2")).refusal == Refusal::per_ip_cap);  // the same address
  CHECK(gate.enter(ip("127.0.0.3")).refusal == Refusal::none);
  CHECK(gate.refused(Refusal::per_ip_cap) == 2);
  gate.leave(ip("127.0.0.2"));
  CHECK(gate.connections_from(ip("127.0.0.2")) == 2);
  CHECK(gate.enter(ip("127.0.0.2")).refusal == Refusal::none);
  for (int i = 0; i < 3; ++i) gate.leave(ip("127.0.0.2"));
  CHECK(gate.connections_from(ip("127.0.0.2")) == 0);
  gate.leave(ip("127.0.0.2"));  // one too many: ignored, never below zero
  CHECK(gate.connections_from(ip("127.0.0.2")) == 0);
}

TEST_CASE("IPv6 sources are counted per /64") {
  QuietLogs quiet;
  PeerGate gate("admin");
  gate.configure(policy({}, {}, 2));
  CHECK(gate.enter(ip("2001:db8:0:1::a")).refusal == Refusal::none);
  CHECK(gate.enter(ip("2001:db8:0:1::b")).refusal == Refusal::none);
  CHECK(gate.enter(ip("2001:db8:0:1:ffff::c")).refusal == Refusal::per_ip_cap);
  CHECK(gate.enter(ip("2001:db8:0:2::a")).refusal == Refusal::none);
  CHECK(gate.connections_from(ip("2001:db8:0:1::1")) == 2);
}

TEST_CASE("reconfiguring applies to the next connection; cap 0 counts nothing") {
  QuietLogs quiet;
  PeerGate gate("device");
  gate.configure(policy({}, {}, 1));
  CHECK(gate.enter(ip("192.0.2.1")).counted);
  gate.configure(policy({}, {"192.0.2.1"}, 1));
  CHECK(gate.enter(ip("192.0.2.1")).refusal == Refusal::deny_list);
  gate.configure(policy({}, {}, 0));
  auto uncapped = gate.enter(ip("192.0.2.1"));
  CHECK(uncapped.refusal == Refusal::none);
  CHECK_FALSE(uncapped.counted);
  gate.leave(ip("192.0.2.1"));  // the one counted before is still owed its leave
  CHECK(gate.connections_from(ip("192.0.2.1")) == 0);
}

TEST_CASE("many threads entering and leaving keep an exact count") {
  PeerGate gate("device");
  gate.configure(policy({}, {}, 1'000'000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&gate, t] {
      for (int i = 0; i < 10'000; ++i) {
        const IpAddress source = ip(i % 2 ? "198.51.100.1" : "198.51.100.2");
        CHECK(gate.enter(source).counted);
        if (i % 4 != t % 4) gate.leave(source);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(gate.connections_from(ip("198.51.100.1")) + gate.connections_from(ip("198.51.100.2")) ==
        4 * 2'500);
}

TEST_CASE("PROXY protocol: the gate says who must send a header and counts header refusals") {
  QuietLogs quiet;
  PeerGate gate("device");
  CHECK(gate.proxy_expectation(ip("10.0.0.10")).expect == ProxyPolicy::Expect::nothing);
  std::vector<std::string> errors;
  PeerGate::Policy p{AddressPolicy{}, 0,
                     ProxyPolicy::parse(ProxyVersions::v1, {"10.0.0.10"}, "device.", errors)};
  REQUIRE(errors.empty());
  gate.configure(std::move(p));
  const auto listed = gate.proxy_expectation(ip("10.0.0.10"));
  CHECK(listed.expect == ProxyPolicy::Expect::header);
  CHECK(listed.versions == ProxyVersions::v1);
  CHECK(gate.proxy_expectation(ip("10.0.0.11")).expect == ProxyPolicy::Expect::watch);
  gate.refuse(ip("10.0.0.10"), Refusal::proxy_header, "no PROXY protocol header");
  gate.refuse(ip("10.0.0.11"), Refusal::untrusted_proxy_header, "forged");
  gate.refuse(ip("10.0.0.12"), Refusal::untrusted_proxy_header, "forged");
  CHECK(gate.refused(Refusal::proxy_header) == 1);
  CHECK(gate.refused(Refusal::untrusted_proxy_header) == 2);
  CHECK(refusal_name(Refusal::untrusted_proxy_header) == "untrusted_proxy_header");
}
