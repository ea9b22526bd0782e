// What a complete PROXY header says: the v1 line's fields and the v2 block's addresses and TLVs
// (proxy_header.h). Strict: whatever the spec does not allow is an error, since a header that
// is almost right comes from no proxy we should trust.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "common/proxy_header.h"

namespace kite::server {
namespace {

// Splits `text` at single spaces: an empty field (two spaces in a row, a space at either end)
// is an error, as is a field count other than `count`.
template <std::size_t N>
bool split_fields(std::string_view text, std::array<std::string_view, N>& fields) {
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t space = text.find(' ');
    const bool last = i + 1 == N;
    if (last != (space == std::string_view::npos)) return false;
    fields[i] = text.substr(0, space);
    if (fields[i].empty()) return false;
    text = last ? std::string_view{} : text.substr(space + 1);
  }
  return true;
}

// Decimal 0..65535, no sign, no leading zero (the spec's form).
bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

// TCP4 takes dotted quads only, TCP6 IPv6 text only (which may be IPv4-mapped).
bool parse_address(std::string_view text, bool v6, IpAddress& ip) {
  const bool has_colon = text.find(':') != std::string_view::npos;
  if (has_colon != v6) return false;
  auto parsed = IpAddress::parse(text);
  if (!parsed) return false;
  ip = *parsed;
  return true;
}

IpAddress from_bytes(const std::uint8_t* bytes, bool v6) {
  IpAddress ip;
  if (v6) {
    std::memcpy(ip.bytes.data(), bytes, 16);
  } else {
    ip.bytes[10] = ip.bytes[11] = 0xff;  // ::ffff:a.b.c.d
    std::memcpy(ip.bytes.data() + 12, bytes, 4);
  }
  return ip;
}

std::uint16_t big_endian16(const std::uint8_t* bytes) {
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

// Type (1), length (2), value: each TLV must end within the block, and nothing may follow the
// last one. Their contents are skipped.
bool tlvs_fit(std::span<const std::uint8_t> tlvs) {
  while (!tlvs.empty()) {
    if (tlvs.size() < 3) return false;
    const std::size_t length = big_endian16(tlvs.data() + 1);
    if (length > tlvs.size() - 3) return false;
    tlvs = tlvs.subspan(3 + length);
  }
  return true;
}

}  // namespace

std::string_view parse_proxy_v1_line(std::string_view line, ProxyHeader& header) {
  if (!line.starts_with(kProxyV1Prefix)) return "no PROXY protocol header (v1 signature)";
  line.remove_prefix(kProxyV1Prefix.size());
  // "UNKNOWN", alone or with anything after a space: the proxy does not know the client.
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) {
    header.proxied = false;
    return {};
  }
  const bool v6 = line.starts_with("TCP6 ");
  if (!v6 && !line.starts_with("TCP4 ")) return "v1 header: protocol is not TCP4, TCP6 or UNKNOWN";
  std::array<std::string_view, 4> fields;
  if (!split_fields(line.substr(5), fields)) return "v1 header: not four fields after the protocol";
  if (!parse_address(fields[0], v6, header.source.ip)) return "v1 header: bad source address";
  if (!parse_address(fields[1], v6, header.destination.ip))
    return "v1 header: bad destination address";
  if (!parse_port(fields[2], header.source.port)) return "v1 header: bad source port";
  if (!parse_port(fields[3], header.destination.port)) return "v1 header: bad destination port";
  header.proxied = true;
  return {};
}

std::string_view parse_proxy_v2_block(std::span<const std::uint8_t> bytes, ProxyHeader& header) {
  if (bytes.size() < kProxyV2FixedBytes ||
      !std::equal(kProxyV2Signature.begin(), kProxyV2Signature.end(), bytes.begin()))
    return "no PROXY protocol header (v2 signature)";
  if (kProxyV2FixedBytes + big_endian16(bytes.data() + 14) != bytes.size())
    return "v2 header: length does not match";
  const std::uint8_t command = bytes[12];
  const std::uint8_t family = bytes[13];
  header.proxied = false;
  if (command == 0x20) return {};  // LOCAL: the proxy's own connection
  if (command != 0x21) return "v2 header: version is not 2, or command is neither LOCAL nor PROXY";
  if (family == 0x00) return {};  // UNSPEC: no address to take
  if (family != 0x11 && family != 0x21) return "v2 header: not TCP over IPv4 or IPv6";
  const bool v6 = family == 0x21;
  const std::size_t address_size = v6 ? 16 : 4;
  const std::span<const std::uint8_t> block = bytes.subspan(kProxyV2FixedBytes);
  if (block.size() < 2 * address_size + 4) return "v2 header: too short for its addresses";
  header.source.ip = from_bytes(block.data(), v6);
  header.destination.ip = from_bytes(block.data() + address_size, v6);
  header.source.port = big_endian16(block.data() + 2 * address_size);
  header.destination.port = big_endian16(block.data() + 2 * address_size + 2);
  if (!tlvs_fit(block.subspan(2 * address_size + 4))) return "v2 header: a TLV overruns the header";
  header.proxied = true;
  return {};
}

}  // namespace kite::server
