// IP addresses; see ip_address.h.
#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace kite::server {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The MurmurHash3 finaliser: a bijection on 64 bits in which every input bit moves every output
// bit.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

IpAddress mapped_v4(const void* four_bytes) {
  IpAddress ip;
  std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin());
  std::memcpy(ip.bytes.data() + 12, four_bytes, 4);
  return ip;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; longer text is no address (the longest IPv6 text,
  // with an embedded IPv4 part, has 45 characters).
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char terminated[INET6_ADDRSTRLEN] = {};
  std::memcpy(terminated, text.data(), text.size());
  std::uint8_t raw[16] = {};
  if (::inet_pton(AF_INET, terminated, raw) == 1) return mapped_v4(raw);
  if (::inet_pton(AF_INET6, terminated, raw) != 1) return std::nullopt;
  IpAddress ip;
  std::memcpy(ip.bytes.data(), raw, 16);
  return ip;
}

IpAddress IpAddress::from(const sockaddr* address) {
  if (address->sa_family == AF_INET)
    return mapped_v4(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
  IpAddress ip;
  if (address->sa_family == AF_INET6)
    std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  return ip;
}

bool IpAddress::is_v4() const {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

IpAddress IpAddress::source() const {
  IpAddress out = *this;
  if (!is_v4())
    for (std::size_t i = 8; i < out.bytes.size(); ++i) out.bytes[i] = 0;
  return out;
}

std::string IpAddress::text() const {
  char out[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, out, sizeof out);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
  }
  return out;
}

std::size_t IpAddressHash::operator()(const IpAddress& ip) const noexcept {
  // Peers choose their addresses (an IPv6 site has 2^64 or more), so the hash is keyed with a
  // secret of this process, so that which addresses share a bucket cannot be worked out from
  // outside (a map whose keys all collide turns each lookup into a scan).
  static const std::array<std::uint64_t, 2> key = [] {
    std::random_device random;
    return std::array<std::uint64_t, 2>{std::uint64_t{random()} << 32 | random(),
                                        std::uint64_t{random()} << 32 | random()};
  }();
  std::uint64_t high = 0, low = 0;
  std::memcpy(&high, ip.bytes.data(), 8);
  std::memcpy(&low, ip.bytes.data() + 8, 8);
  return static_cast<std::size_t>(mix(mix(high ^ key[0]) ^ low ^ key[1]));
}

}  // namespace kite::server
