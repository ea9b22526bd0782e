// Fuzzes the PROXY protocol header parser (server/common/proxy_header.h), fed as a socket would:
// in chunks of any size.
//
//   input: byte 0 picks the versions taken (v1, v2, any), byte 1 seeds the chunk sizes, the rest
//   is the connection's first bytes (a header, and whatever follows it)
//
// Checked: no crash (ASan/UBSan); a feed never consumes more than it was given; the outcome and
// the header are the same fed whole and fed in random chunks; Done comes with a consistent
// header (its size is what was consumed in all, within the bounds of its version; no address
// unless proxied; a v1 TCP4 or v2 IPv4 header names IPv4 addresses only; its version is the one
// its first byte announces); and the header alone, fed to a fresh parser, says the same again.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/proxy_header.h"
#include "fuzz_check.h"

namespace {

using kite::server::ProxyHeader;
using kite::server::ProxyHeaderParser;
using kite::server::ProxyVersions;
using Status = ProxyHeaderParser::Status;

struct Outcome {
  Status status = Status::NeedMore;
  std::size_t consumed = 0;
  ProxyHeader header;
};

// Feeds `bytes` in chunks of 1..64 bytes drawn from `seed` (0: all at once), stopping at the
// first Done or Error, as a connection does.
Outcome feed(ProxyVersions versions, std::span<const std::uint8_t> bytes, std::uint32_t seed) {
  ProxyHeaderParser parser(versions);
  Outcome outcome;
  std::size_t at = 0;
  const bool whole = seed == 0;
  do {
    seed = seed * 1103515245u + 12345u;  // a small LCG: the same chunks for the same input
    std::size_t chunk = whole ? bytes.size() : 1 + (seed >> 16) % 64;
    if (chunk > bytes.size() - at) chunk = bytes.size() - at;
    const auto result = parser.feed(bytes.subspan(at, chunk));
    KITE_FUZZ_CHECK(result.consumed <= chunk);
    KITE_FUZZ_CHECK(result.status == Status::Done || result.consumed == chunk ||
                    result.status == Status::Error);
    outcome.consumed += result.consumed;
    outcome.status = result.status;
    at += chunk;
  } while (outcome.status == Status::NeedMore && at < bytes.size());
  if (outcome.status == Status::Done) outcome.header = parser.header();
  // Once ended, it stays ended and takes nothing more.
  if (outcome.status != Status::NeedMore) {
    const auto again = parser.feed(bytes);
    KITE_FUZZ_CHECK(again.status == outcome.status && again.consumed == 0);
  }
  return outcome;
}

void check_done(std::span<const std::uint8_t> bytes, const Outcome& outcome,
                ProxyVersions versions) {
  const ProxyHeader& header = outcome.header;
  KITE_FUZZ_CHECK(header.size == outcome.consumed);
  KITE_FUZZ_CHECK(header.size <= kite::server::kMaxProxyHeaderBytes);
  KITE_FUZZ_CHECK(header.version == (bytes[0] == 'P' ? 1 : 2));
  if (header.version == 1) KITE_FUZZ_CHECK(header.size <= kite::server::kMaxProxyV1Bytes);
  if (header.version == 2) KITE_FUZZ_CHECK(header.size >= kite::server::kProxyV2FixedBytes);
  if (!header.proxied) {
    KITE_FUZZ_CHECK(header.source == kite::server::ProxyEndpoint{});
    KITE_FUZZ_CHECK(header.destination == kite::server::ProxyEndpoint{});
  }
  const bool v1_ipv4 = header.version == 1 && header.size > 11 && bytes[6] == 'T' &&
                       bytes[9] == '4';  // "PROXY TCP4 "
  const bool v2_ipv4 = header.version == 2 && bytes[13] == 0x11;
  if (header.proxied && (v1_ipv4 || v2_ipv4))
    KITE_FUZZ_CHECK(header.source.ip.is_v4() && header.destination.ip.is_v4());
  // The header alone is the same header.
  const Outcome alone = feed(versions, bytes.first(header.size), 0);
  KITE_FUZZ_CHECK(alone.status == Status::Done && alone.header == header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr ProxyVersions kVersions[] = {ProxyVersions::v1, ProxyVersions::v2,
                                                ProxyVersions::any};
  const ProxyVersions versions = kVersions[data[0] % 3];
  const std::uint32_t seed = data[1] | 1u;  // odd: never the whole-feed seed 0
  const std::span<const std::uint8_t> bytes(data + 2, size - 2);

  const Outcome whole = feed(versions, bytes, 0);
  const Outcome chunked = feed(versions, bytes, seed);
  KITE_FUZZ_CHECK(whole.status == chunked.status);
  KITE_FUZZ_CHECK(whole.consumed == chunked.consumed);
  KITE_FUZZ_CHECK(whole.consumed <= bytes.size());
  if (whole.status == Status::Done) {
    KITE_FUZZ_CHECK(whole.header == chunked.header);
    check_done(bytes, whole, versions);
  }
  return 0;
}
