// Access settings to runtime objects; see access.h.
#include "api/access.h"

#include <fmt/format.h>

#include <vector>

namespace kite::server {
namespace {

std::uint8_t scope_bits(const std::vector<std::string>& names) {
  std::uint8_t bits = 0;
  for (const auto& name : names)
    if (auto scope = http::parse_scope(name)) bits |= static_cast<std::uint8_t>(*scope);
  return bits;
}

std::string make_tokens(const config::AdminConfig& admin, http::TokenSet& out) {
  constexpr auto kAll = static_cast<std::uint8_t>(http::Scope::admin);
  if (!admin.token.empty()) {
    auto error = out.add({std::string(kLegacyTokenName), http::token_digest(admin.token), kAll});
    if (!error.empty()) return "admin.token: " + error;
  }
  for (std::size_t i = 0; i < admin.tokens.size(); ++i) {
    const config::AdminToken& entry = admin.tokens[i];
    auto digest = entry.token.empty() ? http::parse_token_digest(entry.token_sha256)
                                      : http::token_digest(entry.token);
    // validate() has checked each entry; what it cannot see is a token written as text in one
    // entry and as a digest in another.
    if (!digest) return fmt::format("admin.tokens[{}]: token_sha256 is not 64 hex digits", i);
    auto error = out.add({entry.name, *digest, scope_bits(entry.scopes)});
    if (!error.empty()) return fmt::format("admin.tokens[{}]: {}", i, error);
  }
  return {};
}

template <typename Section>
PeerGate::Policy gate_policy(const Section& config, std::string_view section,
                             std::vector<std::string>& errors) {
  const std::string prefix = fmt::format("{}.", section);
  return {AddressPolicy::parse(config.allow, config.deny, prefix, errors),
          config.max_connections_per_ip,
          ProxyPolicy::parse(config.proxy_protocol, config.proxy_from, prefix, errors)};
}

}  // namespace

std::string apply_access(const config::Config& config, Server& server, http::TokenSet& tokens) {
  http::TokenSet fresh;
  if (auto error = make_tokens(config.admin, fresh); !error.empty()) return error;
  std::vector<std::string> errors;
  auto device = gate_policy(config.device, "device", errors);
  auto admin = gate_policy(config.admin, "admin", errors);
  if (!errors.empty()) return errors.front();
  tokens = std::move(fresh);
  server.device_gate().configure(std::move(device));
  server.admin_gate().configure(std::move(admin));
  return {};
}

}  // namespace kite::server
