// Signed, expiring device tokens, minted by a backend and checked by kited.
//
//   token = "kite1." base64url(claims) "." base64url(HMAC-SHA256(signing key, "kite1." claims64))
//
// `claims` is a FlatBuffers TokenClaims table (protocol/schema/kite.fbs). The signature is checked
// in constant time before the claims are decoded, and the claims pass the Verifier before a field
// is read. Time comes from the caller.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/protocol/reason.h"

namespace kite::protocol {

inline constexpr std::size_t kMaxTokenLength = 4096;
// A token issued this far in the future is still accepted (clocks of backends drift).
inline constexpr std::uint64_t kIssuedAtSkew_s = 300;

struct TokenClaims {
  std::string device_id;
  std::vector<std::string> groups;
  std::uint64_t issued_at_s = 0;   // seconds since the Unix epoch
  std::uint64_t expires_at_s = 0;  // the token is refused from this second on
};

std::string mint_token(std::span<const std::uint8_t> signing_key, const TokenClaims& claims);

// Reason::None and the claims when the token is genuine and unexpired at `now_s`;
// AuthFailed for a malformed or forged token, TokenExpired past its expiry.
Reason verify_token(std::string_view token, std::span<const std::uint8_t> signing_key,
                    std::uint64_t now_s, TokenClaims& claims);

}  // namespace kite::protocol
