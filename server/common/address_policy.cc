// Allow and deny lists; see address_policy.h.
#include "common/address_policy.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/quoted.h"

namespace kite::server {
namespace {

std::vector<CidrBlock> parse_list(const std::vector<std::string>& texts, std::string_view name,
                                  std::vector<std::string>& errors) {
  std::vector<CidrBlock> blocks;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CidrParse parsed = parse_cidr(texts[i]);
    if (parsed.block) {
      blocks.push_back(*parsed.block);
    } else {
      errors.push_back(fmt::format("{}[{}]: {}: {}", name, i, quoted(texts[i]), parsed.error));
    }
  }
  return blocks;
}

bool any_contains(const std::vector<CidrBlock>& blocks, const IpAddress& ip) {
  return std::any_of(blocks.begin(), blocks.end(),
                     [&](const CidrBlock& block) { return block.contains(ip); });
}

}  // namespace

AddressPolicy AddressPolicy::parse(const std::vector<std::string>& allow,
                                   const std::vector<std::string>& deny, std::string_view prefix,
                                   std::vector<std::string>& errors) {
  AddressPolicy policy;
  policy.allow_ = parse_list(allow, fmt::format("{}allow", prefix), errors);
  policy.deny_ = parse_list(deny, fmt::format("{}deny", prefix), errors);
  return policy;
}

AddressPolicy::Verdict AddressPolicy::check(const IpAddress& ip) const {
  if (any_contains(deny_, ip)) return Verdict::denied;
  if (!allow_.empty() && !any_contains(allow_, ip)) return Verdict::not_allowed;
  return Verdict::admitted;
}

}  // namespace kite::server
