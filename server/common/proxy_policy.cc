// Trusted proxies of a port; see proxy_policy.h.
#include "common/proxy_policy.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/quoted.h"

namespace kite::server {

ProxyPolicy ProxyPolicy::parse(ProxyVersions versions, const std::vector<std::string>& from,
                               std::string_view prefix, std::vector<std::string>& errors) {
  ProxyPolicy policy;
  policy.versions_ = versions;
  for (std::size_t i = 0; i < from.size(); ++i) {
    CidrParse parsed = parse_cidr(from[i]);
    if (parsed.block)
      policy.from_.push_back(*parsed.block);
    else
      errors.push_back(
          fmt::format("{}proxy_from[{}]: {}: {}", prefix, i, quoted(from[i]), parsed.error));
  }
  return policy;
}

ProxyPolicy::Expect ProxyPolicy::expect(const IpAddress& socket_ip) const {
  if (versions_ == ProxyVersions::off) return Expect::nothing;
  const bool listed = std::any_of(from_.begin(), from_.end(), [&](const CidrBlock& block) {
    return block.contains(socket_ip);
  });
  return listed ? Expect::header : Expect::watch;
}

}  // namespace kite::server
