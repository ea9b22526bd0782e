// Who may connect: device and service keys, tokens, revocations, resume tokens
// (resume_tokens.h), and the limits on connections that have not authenticated yet
// (admission.h). Thread-safe: every worker asks it during handshakes; reload() swaps the key
// material atomically (SIGHUP) and reports whose live sessions must now end.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/admission.h"
#include "core/resume_tokens.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/reason.h"
#include "kite/protocol/token.h"

namespace kite::server {

// Services (backends on the binary protocol) authenticate as "service:<name>".
inline constexpr std::string_view kServicePrefix = "service:";

struct Credentials {
  std::vector<std::uint8_t> master_key;  // empty: no derived device keys
  std::unordered_map<std::string, protocol::DeviceKey> device_keys;   // listed keys win
  std::unordered_map<std::string, protocol::DeviceKey> service_keys;  // by service name
  std::vector<std::uint8_t> token_key;                                // empty: tokens refused
  std::unordered_set<std::string> revoked;
};

// What a reload ends: sessions of ids revoked now, services whose key was removed or changed,
// and, when the token key changed, every session opened with a token signed by the old one.
struct ReloadEffects {
  std::vector<std::string> revoked;           // device ids and "service:NAME"s, newly revoked
  std::vector<std::string> services_rekeyed;  // "service:NAME"s whose key is gone or changed
  bool token_key_changed = false;
};

class Authenticator {
 public:
  // `resume_key`: ResumeTokens::kKeySize bytes, or empty for a random one (resume_tokens.h).
  Authenticator(Credentials credentials, AdmissionLimits limits,
                std::span<const std::uint8_t> resume_key = {});

  // The key an Hmac device (or service) must prove; nullopt for an unknown one.
  std::optional<protocol::DeviceKey> key_for(std::string_view id) const;
  // Verifies a token for `device_id` at wall-clock `now_s`; fills its claims.
  protocol::Reason check_token(std::string_view token, std::string_view device_id,
                               std::uint64_t now_s, protocol::TokenClaims& claims) const;
  // The same, keeping only the token's groups.
  protocol::Reason check_token(std::string_view token, std::string_view device_id,
                               std::uint64_t now_s, std::vector<std::string>& groups) const;
  // Bumped by every reload that changes the token key: a token session opened under an older
  // generation was signed with a key no longer trusted.
  std::uint64_t token_key_generation() const;
  bool revoked(std::string_view id) const;
  bool tokens_enabled() const;

  // Replaces the key material; says whose live sessions it ends.
  ReloadEffects reload(Credentials credentials);

  const ResumeTokens& resume_tokens() const { return resume_tokens_; }
  Admission& admission() { return admission_; }

 private:
  std::shared_ptr<const Credentials> credentials() const;

  mutable std::mutex credentials_mutex_;
  std::shared_ptr<const Credentials> credentials_;
  std::uint64_t token_key_generation_ = 0;  // under credentials_mutex_
  ResumeTokens resume_tokens_;
  Admission admission_;
};

}  // namespace kite::server
