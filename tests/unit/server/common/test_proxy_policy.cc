// Who must send a PROXY header (a listed proxy), who is watched for a forged one (anyone else),
// and the watch itself: a whole signature is forged, anything that leaves both is clear.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/proxy_policy.h"
#include "common/proxy_signature_watch.h"

using namespace kite::server;

namespace {

IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

}  // namespace

TEST_CASE("proxy_from decides who must send a header; off expects nothing of anyone") {
  std::vector<std::string> errors;
  auto policy =
      ProxyPolicy::parse(ProxyVersions::v2, {"127.0.0.1", "10.0.0.0/8"}, "device.", errors);
  REQUIRE(errors.empty());
  CHECK(policy.expect(ip("127.0.0.1")) == ProxyPolicy::Expect::header);
  CHECK(policy.expect(ip("10.9.8.7")) == ProxyPolicy::Expect::header);
  CHECK(policy.expect(ip("127.0.0.5")) == ProxyPolicy::Expect::watch);
  CHECK(policy.expect(ip("::1")) == ProxyPolicy::Expect::watch);
  auto off = ProxyPolicy::parse(ProxyVersions::off, {"127.0.0.1"}, "device.", errors);
  CHECK(off.expect(ip("127.0.0.1")) == ProxyPolicy::Expect::nothing);
}

TEST_CASE("a bad proxy_from entry is named by its list and index") {
  std::vector<std::string> errors;
  ProxyPolicy::parse(ProxyVersions::v1, {"10.0.0.0/8", "10.0.0.0/33"}, "admin.", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].starts_with("admin.proxy_from[1]: \"10.0.0.0/33\""));
}

TEST_CASE("the watch: a whole v1 or v2 signature is forged, even split across reads") {
  ProxySignatureWatch v1;
  CHECK(v1.watch(bytes_of("PROX")) == ProxySignatureWatch::Verdict::undecided);
  CHECK(v1.watch(bytes_of("Y TCP4 ")) == ProxySignatureWatch::Verdict::forged);
  ProxySignatureWatch v2;
  const std::vector<std::uint8_t> signature(kProxyV2Signature.begin(), kProxyV2Signature.end());
  CHECK(v2.watch(signature) == ProxySignatureWatch::Verdict::forged);
}

TEST_CASE(
    "the watch: a Kite frame, a TLS record or an HTTP request is clear at its first "
    "differing byte") {
  for (std::string_view start : {"\x16\x03\x01", "POST /v1", "PUT /", "GET /", "\r\n\r\nX"}) {
    ProxySignatureWatch watch;
    CAPTURE(start);
    CHECK(watch.watch(bytes_of(start)) == ProxySignatureWatch::Verdict::clear);
    // Once clear, it stays clear, whatever comes next.
    CHECK(watch.watch(bytes_of("PROXY ")) == ProxySignatureWatch::Verdict::clear);
  }
}
