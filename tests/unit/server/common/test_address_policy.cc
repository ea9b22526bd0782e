// Allow and deny lists: deny wins, a non-empty allow list admits only what it matches, and
// errors name the list and the index.
#include <doctest/doctest.h>

#include "common/address_policy.h"

using namespace kite::server;
using Verdict = AddressPolicy::Verdict;

namespace {

AddressPolicy policy(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  std::vector<std::string> errors;
  AddressPolicy parsed = AddressPolicy::parse(allow, deny, "device.", errors);
  REQUIRE(errors.empty());
  return parsed;
}

Verdict check(const AddressPolicy& p, std::string_view text) {
  return p.check(*IpAddress::parse(text));
}

}  // namespace

TEST_CASE("empty lists admit everyone") {
  AddressPolicy open = policy({}, {});
  CHECK(open.empty());
  CHECK(check(open, "203.0.113.9") == Verdict::admitted);
  CHECK(check(open, "2001:db8::9") == Verdict::admitted);
}

TEST_CASE("a deny list refuses what it matches and nothing else") {
  AddressPolicy p = policy({}, {"127.0.0.2/32", "2001:db8::/32"});
  CHECK(check(p, "127.0.0.2") == Verdict::denied);
  CHECK(check(p, "::ffff:127.0.0.2") == Verdict::denied);
  CHECK(check(p, "127.0.0.1") == Verdict::admitted);
  CHECK(check(p, "2001:db8:1::1") == Verdict::denied);
  CHECK(check(p, "::1") == Verdict::admitted);
}

TEST_CASE("an allow list admits only its addresses, and deny wins over it") {
  AddressPolicy p = policy({"::1/128", "127.0.0.1/32", "10.0.0.0/8"}, {"10.6.6.0/24"});
  CHECK(check(p, "::1") == Verdict::admitted);
  CHECK(check(p, "127.0.0.1") == Verdict::admitted);
  CHECK(check(p, "127.0.0.2") == Verdict::not_allowed);
  CHECK(check(p, "::2") == Verdict::not_allowed);
  CHECK(check(p, "10.1.2.3") == Verdict::admitted);
  CHECK(check(p, "10.6.6.6") == Verdict::denied);
}

TEST_CASE("errors name the list, the index and the entry, and every one is reported") {
  std::vector<std::string> errors;
  AddressPolicy::parse({"10.0.0.0/8", "nope"}, {"::1", "::1", "10.0.0.0/33"}, "device.", errors);
  CHECK(errors ==
        std::vector<std::string>{"device.allow[1]: \"nope\": not a numeric IPv4 or IPv6 address",
                                 "device.deny[2]: \"10.0.0.0/33\": prefix length above 32"});
  errors.clear();
  AddressPolicy::parse({}, {"\n10.0.0.0"}, "admin.", errors);
  CHECK(errors ==
        std::vector<std::string>{"admin.deny[0]: \"\\u000A10.0.0.0\": not a numeric IPv4 or IPv6 "
                                 "address"});
}
