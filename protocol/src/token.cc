#include "kite/protocol/token.h"

#include <array>

#include "kite/protocol/base64url.h"
#include "kite/protocol/hmac.h"
#include "kite/wire/kite_generated.h"
#include "sodium_ready.h"

namespace kite::protocol {
namespace {

constexpr std::string_view kPrefix = "kite1.";

Mac sign(std::span<const std::uint8_t> key, std::string_view text) {
  return hmac_sha256(key, text);
}

}  // namespace

std::string mint_token(std::span<const std::uint8_t> signing_key, const TokenClaims& claims) {
  flatbuffers::FlatBufferBuilder builder(256);
  auto id = builder.CreateString(claims.device_id);
  auto groups = builder.CreateVectorOfStrings(claims.groups);
  builder.Finish(
      wire::CreateTokenClaims(builder, id, groups, claims.issued_at_s, claims.expires_at_s));
  std::string signed_part(kPrefix);
  signed_part += base64url_encode({builder.GetBufferPointer(), builder.GetSize()});
  auto mac = sign(signing_key, signed_part);
  return signed_part + "." + base64url_encode(mac);
}

Reason verify_token(std::string_view token, std::span<const std::uint8_t> signing_key,
                    std::uint64_t now_s, TokenClaims& claims) {
  if (token.size() > kMaxTokenLength || !token.starts_with(kPrefix)) return Reason::AuthFailed;
  std::size_t dot = token.rfind('.');
  if (dot < kPrefix.size()) return Reason::AuthFailed;
  auto received_mac = base64url_decode(token.substr(dot + 1));
  auto expected_mac = sign(signing_key, token.substr(0, dot));
  if (!received_mac || received_mac->size() != expected_mac.size() ||
      sodium_memcmp(received_mac->data(), expected_mac.data(), expected_mac.size()) != 0)
    return Reason::AuthFailed;

  auto bytes = base64url_decode(token.substr(kPrefix.size(), dot - kPrefix.size()));
  if (!bytes) return Reason::AuthFailed;
  flatbuffers::Verifier::Options options;
  options.max_depth = 4;
  options.max_tables = 4;
  flatbuffers::Verifier verifier(bytes->data(), bytes->size(), options);
  if (bytes->size() < 4 || !verifier.VerifyBuffer<wire::TokenClaims>(nullptr))
    return Reason::AuthFailed;
  const auto* decoded = flatbuffers::GetRoot<wire::TokenClaims>(bytes->data());
  if (!decoded->device_id() || decoded->device_id()->size() == 0) return Reason::AuthFailed;

  claims.device_id = decoded->device_id()->str();
  claims.groups.clear();
  if (decoded->groups())
    for (const auto* group : *decoded->groups()) claims.groups.push_back(group->str());
  claims.issued_at_s = decoded->issued_at_s();
  claims.expires_at_s = decoded->expires_at_s();
  if (now_s >= claims.expires_at_s) return Reason::TokenExpired;
  if (claims.issued_at_s > now_s + kIssuedAtSkew_s) return Reason::AuthFailed;  // not valid yet
  return Reason::None;
}

}  // namespace kite::protocol
