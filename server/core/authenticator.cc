#include "core/authenticator.h"

#include "kite/protocol/hmac.h"

#include <algorithm>

namespace kite::server {

Authenticator::Authenticator(Credentials credentials, AdmissionLimits limits,
                             std::span<const std::uint8_t> resume_key)
    : credentials_(std::make_shared<const Credentials>(std::move(credentials))),
      resume_tokens_(resume_key),
      admission_(limits) {}

std::shared_ptr<const Credentials> Authenticator::credentials() const {
  std::lock_guard lock(credentials_mutex_);
  return credentials_;
}

std::optional<protocol::DeviceKey> Authenticator::key_for(std::string_view id) const {
  auto c = credentials();
  if (id.starts_with(kServicePrefix)) {
    auto it = c->service_keys.find(std::string(id.substr(kServicePrefix.size())));
    if (it == c->service_keys.end()) return std::nullopt;
    return it->second;
  }
  auto it = c->device_keys.find(std::string(id));
  if (it != c->device_keys.end()) return it->second;
  if (c->master_key.empty()) return std::nullopt;
  return protocol::derive_device_key(c->master_key, id);
}

protocol::Reason Authenticator::check_token(std::string_view token, std::string_view device_id,
                                            std::uint64_t now_s,
                                            protocol::TokenClaims& claims) const {
  auto c = credentials();
  if (c->token_key.empty()) return protocol::Reason::AuthFailed;
  auto reason = protocol::verify_token(token, c->token_key, now_s, claims);
  if (reason != protocol::Reason::None) return reason;
  if (claims.device_id != device_id) return protocol::Reason::AuthFailed;
  return protocol::Reason::None;
}

protocol::Reason Authenticator::check_token(std::string_view token, std::string_view device_id,
                                            std::uint64_t now_s,
                                            std::vector<std::string>& groups) const {
  protocol::TokenClaims claims;
  auto reason = check_token(token, device_id, now_s, claims);
  if (reason == protocol::Reason::None) groups = std::move(claims.groups);
  return reason;
}

std::uint64_t Authenticator::token_key_generation() const {
  std::lock_guard lock(credentials_mutex_);
  return token_key_generation_;
}

bool Authenticator::revoked(std::string_view id) const {
  return credentials()->revoked.contains(std::string(id));
}

bool Authenticator::tokens_enabled() const {
  return !credentials()->token_key.empty();
}

ReloadEffects Authenticator::reload(Credentials fresh) {
  auto next = std::make_shared<const Credentials>(std::move(fresh));
  ReloadEffects effects;
  std::lock_guard lock(credentials_mutex_);
  for (const auto& id : next->revoked)
    if (!credentials_->revoked.contains(id)) effects.revoked.push_back(id);
  // A service's key is its whole credential: once it is gone or replaced, a connection made
  // with the old one must not outlive it.
  for (const auto& [name, key] : credentials_->service_keys) {
    auto kept = next->service_keys.find(name);
    if (kept == next->service_keys.end() || kept->second != key)
      effects.services_rekeyed.push_back(std::string(kServicePrefix) + name);
  }
  effects.token_key_changed = next->token_key != credentials_->token_key;
  if (effects.token_key_changed) ++token_key_generation_;
  credentials_ = std::move(next);
  return effects;
}

}  // namespace kite::server
