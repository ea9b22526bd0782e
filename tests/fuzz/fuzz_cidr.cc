// Fuzzes the CIDR parser and matcher of the address lists (server/common/cidr.h) and the IP
// address parser under it (server/common/ip_address.h).
//
//   the input is "<block>\n<address>", e.g. "10.0.0.0/8\n10.1.2.3"; without a newline, the
//   whole input is tried as both
//
// Checked: no crash (ASan/UBSan); a parsed block is canonical (its text parses back to the same
// block, host bits are zero, the prefix is in range, an IPv4 block lies in ::ffff:0:0/96) and
// contains its own network address; a parsed address prints as text that parses back to it; an
// error never comes with a block and never echoes the input; contains() agrees with a plain
// bit-by-bit reference.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/cidr.h"
#include "fuzz_check.h"

namespace {

using kite::server::CidrBlock;
using kite::server::IpAddress;

bool bit(const IpAddress& ip, unsigned index) {
  return (ip.bytes[index / 8] >> (7 - index % 8) & 1) != 0;
}

bool reference_contains(const CidrBlock& block, const IpAddress& ip) {
  if (block.v4 != ip.is_v4()) return false;
  for (unsigned i = 0; i < block.prefix; ++i)
    if (bit(block.network, i) != bit(ip, i)) return false;
  return true;
}

void check_block(const CidrBlock& block) {
  KITE_FUZZ_CHECK(block.prefix <= 128);
  KITE_FUZZ_CHECK(!block.v4 || (block.prefix >= 96 && block.network.is_v4()));
  for (unsigned i = block.prefix; i < 128; ++i) KITE_FUZZ_CHECK(!bit(block.network, i));
  KITE_FUZZ_CHECK(block.contains(block.network));
  auto again = kite::server::parse_cidr(block.text());
  KITE_FUZZ_CHECK(again.block && *again.block == block);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view block_text = input.substr(0, newline);
  const std::string_view address_text =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  auto parsed = kite::server::parse_cidr(block_text);
  KITE_FUZZ_CHECK(parsed.block.has_value() == parsed.error.empty());
  // Errors are fixed text plus at most a canonical block: never the (hostile) input itself.
  if (!parsed.block && block_text.size() > 64)
    KITE_FUZZ_CHECK(parsed.error.find(block_text) == std::string::npos);
  if (parsed.block) check_block(*parsed.block);

  auto address = IpAddress::parse(address_text);
  if (address) {
    auto again = IpAddress::parse(address->text());
    KITE_FUZZ_CHECK(again && *again == *address);
    if (parsed.block)
      KITE_FUZZ_CHECK(parsed.block->contains(*address) ==
                      reference_contains(*parsed.block, *address));
  }
  return 0;
}
