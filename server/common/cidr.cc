// CIDR blocks; see cidr.h.
#include "common/cidr.h"

#include <fmt/format.h>

namespace kite::server {
namespace {

constexpr unsigned kMappedBits = 96;  // ::ffff:0:0/96 holds the IPv4 addresses

// Whether the first `bits` bits of a and b are equal.
bool same_prefix(const IpAddress& a, const IpAddress& b, unsigned bits) {
  unsigned whole = bits / 8;
  for (unsigned i = 0; i < whole; ++i)
    if (a.bytes[i] != b.bytes[i]) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

IpAddress masked(IpAddress ip, unsigned bits) {
  for (unsigned i = 0; i < 16; ++i) {
    unsigned start = i * 8;
    if (start >= bits) {
      ip.bytes[i] = 0;
    } else if (bits - start < 8) {
      ip.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (bits - start)));
    }
  }
  return ip;
}

// "8" -> 8; nullopt unless 1 to 3 decimal digits.
std::optional<unsigned> parse_prefix(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

CidrParse failure(std::string error) {
  return {std::nullopt, std::move(error)};
}

}  // namespace

bool CidrBlock::contains(const IpAddress& ip) const {
  return ip.is_v4() == v4 && same_prefix(network, ip, prefix);
}

std::string CidrBlock::text() const {
  return fmt::format("{}/{}", network.text(), v4 ? prefix - kMappedBits : prefix);
}

CidrParse parse_cidr(std::string_view text) {
  if (text.empty()) return failure("expected an address or address/prefix, got an empty string");
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return failure("not a numeric IPv4 or IPv6 address");
  // Written as IPv4 text, or as an IPv6 text inside ::ffff:0:0/96.
  const bool written_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const unsigned limit = written_v4 ? 32 : 128;
  unsigned bits = limit;
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(text.substr(slash + 1));
    if (!prefix) return failure("the prefix length after '/' is not a number");
    if (*prefix > limit) return failure(fmt::format("prefix length above {}", limit));
    bits = *prefix;
  }
  CidrBlock block;
  block.prefix = static_cast<std::uint8_t>(written_v4 ? bits + kMappedBits : bits);
  block.v4 = address->is_v4() && block.prefix >= kMappedBits;
  block.network = masked(*address, block.prefix);
  if (block.network != *address) {
    return failure(
        fmt::format("host bits are set below the prefix length (did you mean {}?)", block.text()));
  }
  return {block, {}};
}

}  // namespace kite::server
