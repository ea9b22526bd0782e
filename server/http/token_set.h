// The bearer tokens of the admin API, each with a name (for logs) and scopes (what it may do).
//
//   send   messages, commands, group membership        read   devices, groups, events, /metrics
//   admin  every route, including kick; implies send and read
//
// Rules: a token is kept only as the SHA-256 of its secret. find() hashes the presented token
// once and compares the digest with every configured one using CRYPTO_memcmp, never stopping
// early, so its time depends on neither the secret nor which token (nearly) matched; only on
// how many tokens there are. Comparing digests rather than the texts also hides the length.
// Not thread-safe: the admin loop owns it (handlers and the SIGHUP reload both run there).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server::http {

enum class Scope : std::uint8_t { send = 1, read = 2, admin = 4 };
std::optional<Scope> parse_scope(std::string_view name);
std::string_view scope_name(Scope scope);

using TokenDigest = std::array<std::uint8_t, 32>;
TokenDigest token_digest(std::string_view token);
// 64 hex digits (either case) to a digest; nullopt otherwise.
std::optional<TokenDigest> parse_token_digest(std::string_view hex);

struct NamedToken {
  std::string name;
  TokenDigest digest{};
  std::uint8_t scopes = 0;  // Scope bits

  bool allows(Scope scope) const {
    return (scopes &
            (static_cast<std::uint8_t>(scope) | static_cast<std::uint8_t>(Scope::admin))) != 0;
  }
};

class TokenSet {
 public:
  // "" or why the token cannot be added (a name or a secret already in the set).
  std::string add(NamedToken token);
  // The token whose secret `presented` is, or null.
  const NamedToken* find(std::string_view presented) const;
  bool empty() const { return tokens_.empty(); }
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<NamedToken> tokens_;
};

}  // namespace kite::server::http
