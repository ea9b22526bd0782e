// The allow and deny lists of one listening port, as CIDR blocks (cidr.h).
//
// Rules: deny wins; when the allow list is not empty, only addresses it matches are admitted;
// two empty lists admit everyone. Checked once per accepted connection, before any byte is read.
//
// Scale: a linear scan over (prefix bytes, length) entries, each compared in a few byte steps.
// Meant for the dozens of rules an operator writes by hand (100 rules cost well under a
// microsecond per accept); lists of thousands (country or reputation feeds) would want a
// prefix trie instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/cidr.h"

namespace kite::server {

class AddressPolicy {
 public:
  enum class Verdict : std::uint8_t { admitted, denied, not_allowed };

  // Parses both lists. Each error names the list and the index, as the config shows them:
  // "<prefix>deny[2]: \"10.0.0.0/33\": prefix length above 32". The lists are kept without the
  // bad entries, so callers must refuse to run with any error.
  static AddressPolicy parse(const std::vector<std::string>& allow,
                             const std::vector<std::string>& deny, std::string_view prefix,
                             std::vector<std::string>& errors);

  Verdict check(const IpAddress& ip) const;
  bool empty() const { return allow_.empty() && deny_.empty(); }
  const std::vector<CidrBlock>& allow() const { return allow_; }
  const std::vector<CidrBlock>& deny() const { return deny_; }

 private:
  std::vector<CidrBlock> allow_;
  std::vector<CidrBlock> deny_;
};

}  // namespace kite::server
