// Which peers of one listening port are proxies that speak the PROXY protocol (proxy_header.h),
// and so what the first bytes of each accepted connection must be.
//
// Rules:
//  - off: nobody's header is read; the socket's address is the client's (the default);
//  - on (v1, v2 or any): a connection from an address in `from` must begin with a header, and
//    the client named in it is the one every address rule, cap and log line sees; one without a
//    valid header is refused;
//  - a connection from any other address is watched for a header it has no right to send (a
//    client forging its own address) and refused if it begins with one.
//  - "from" holds CIDR blocks, as allow and deny do (common/cidr.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"
#include "common/proxy_header.h"

namespace kite::server {

class ProxyPolicy {
 public:
  // What the connection from one address must begin with.
  enum class Expect : std::uint8_t {
    nothing,  // PROXY protocol is off on this port
    header,   // a listed proxy: a header of versions() first
    watch,    // anyone else: refused if it begins with a header
  };

  // Parses `from`; errors name the list and the index, like AddressPolicy's:
  // "<prefix>proxy_from[0]: \"10.0.0.0/33\": prefix length above 32".
  static ProxyPolicy parse(ProxyVersions versions, const std::vector<std::string>& from,
                           std::string_view prefix, std::vector<std::string>& errors);

  Expect expect(const IpAddress& socket_ip) const;
  ProxyVersions versions() const { return versions_; }
  const std::vector<CidrBlock>& from() const { return from_; }

 private:
  ProxyVersions versions_ = ProxyVersions::off;
  std::vector<CidrBlock> from_;
};

}  // namespace kite::server
