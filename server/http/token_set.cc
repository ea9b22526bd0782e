// Admin API tokens; see token_set.h.
#include "http/token_set.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace kite::server::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Scope> parse_scope(std::string_view name) {
  if (name == "send") return Scope::send;
  if (name == "read") return Scope::read;
  if (name == "admin") return Scope::admin;
  return std::nullopt;
}

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::send:
      return "send";
    case Scope::read:
      return "read";
    case Scope::admin:
      return "admin";
  }
  return "admin";
}

TokenDigest token_digest(std::string_view token) {
  TokenDigest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

std::optional<TokenDigest> parse_token_digest(std::string_view hex) {
  TokenDigest digest{};
  if (hex.size() != digest.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return digest;
}

std::string TokenSet::add(NamedToken token) {
  for (const NamedToken& known : tokens_) {
    if (known.name == token.name) return "the name \"" + token.name + "\" is used twice";
    if (known.digest == token.digest)
      return "tokens \"" + known.name + "\" and \"" + token.name + "\" have the same secret";
  }
  tokens_.push_back(std::move(token));
  return {};
}

const NamedToken* TokenSet::find(std::string_view presented) const {
  const TokenDigest digest = token_digest(presented);
  const NamedToken* found = nullptr;
  for (const NamedToken& token : tokens_) {
    // Every digest is compared; the branch below depends only on the public outcome of a
    // constant-time comparison, and secrets are unique (add()), so at most one matches.
    const bool same = CRYPTO_memcmp(digest.data(), token.digest.data(), digest.size()) == 0;
    if (same) found = &token;
  }
  return found;
}

}  // namespace kite::server::http
