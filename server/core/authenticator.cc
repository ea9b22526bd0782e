#include "core/authenticator.h"

#include "kite/protocol/hmac.h"

#include <algorithm>

namespace kite::server {
namespace {

std::vector<std::uint8_t> hmac(std::span<const std::uint8_t> key, std::string_view data) {
  const protocol::Mac mac = protocol::hmac_sha256(key, data);
  return {mac.begin(), mac.end()};
}

}  // namespace

Authenticator::Authenticator(Credentials credentials, AdmissionLimits limits) : limits_(limits) {
  // Resume tokens must verify across restarts, so their secret derives from configured keys.
  const auto& base =
      !credentials.master_key.empty() ? credentials.master_key : credentials.token_key;
  resume_secret_ = hmac(base, "kite/1 resume secret");
  credentials_ = std::make_shared<const Credentials>(std::move(credentials));
}

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
                                            std::vector<std::string>& groups) const {
  auto c = credentials();
  if (c->token_key.empty()) return protocol::Reason::AuthFailed;
  protocol::TokenClaims claims;
  auto reason = protocol::verify_token(token, c->token_key, now_s, claims);
  if (reason != protocol::Reason::None) return reason;
  if (claims.device_id != device_id) return protocol::Reason::AuthFailed;
  groups = std::move(claims.groups);
  return protocol::Reason::None;
}

bool Authenticator::revoked(std::string_view id) const {
  return credentials()->revoked.contains(std::string(id));
}

bool Authenticator::tokens_enabled() const {
  return !credentials()->token_key.empty();
}

std::vector<std::string> Authenticator::reload(Credentials fresh) {
  auto next = std::make_shared<const Credentials>(std::move(fresh));
  std::vector<std::string> newly_revoked;
  std::lock_guard lock(credentials_mutex_);
  for (const auto& id : next->revoked)
    if (!credentials_->revoked.contains(id)) newly_revoked.push_back(id);
  credentials_ = std::move(next);
  return newly_revoked;
}

std::vector<std::uint8_t> Authenticator::resume_token(std::string_view device_id,
                                                      std::uint64_t epoch) const {
  std::string data(device_id);
  data.push_back('\0');
  data += std::to_string(epoch);
  auto mac = hmac(resume_secret_, data);
  mac.resize(16);
  return mac;
}

void Authenticator::set_limits(const AdmissionLimits& limits) {
  std::lock_guard lock(ip_mutex_);
  limits_ = limits;
}

bool Authenticator::admit(const std::string& ip, Millis now) {
  std::lock_guard lock(ip_mutex_);
  IpState& state = ips_[ip];
  if (state.blocked_until > now || state.unauthenticated >= limits_.max_unauthenticated_per_ip) {
    if (state.unauthenticated == 0 && state.failures == 0) ips_.erase(ip);
    return false;
  }
  ++state.unauthenticated;
  return true;
}

void Authenticator::authenticated_or_closed(const std::string& ip) {
  std::lock_guard lock(ip_mutex_);
  auto it = ips_.find(ip);
  if (it == ips_.end()) return;
  if (it->second.unauthenticated > 0) --it->second.unauthenticated;
  if (it->second.unauthenticated == 0 && it->second.failures == 0) ips_.erase(it);
}

void Authenticator::record_failure(const std::string& ip, Millis now) {
  std::lock_guard lock(ip_mutex_);
  IpState& state = ips_[ip];
  ++state.failures;
  Millis delay = limits_.backoff_base_ms;
  for (std::uint32_t i = 1; i < state.failures && delay < limits_.backoff_max_ms; ++i) delay *= 2;
  state.blocked_until = now + std::min(delay, limits_.backoff_max_ms);
}

void Authenticator::record_success(const std::string& ip) {
  std::lock_guard lock(ip_mutex_);
  auto it = ips_.find(ip);
  if (it == ips_.end()) return;
  it->second.failures = 0;
  it->second.blocked_until = 0;
}

}  // namespace kite::server
