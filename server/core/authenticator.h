// Who may connect: device and service keys, tokens, revocations, and per-IP limits on
// connections that have not authenticated yet. Thread-safe: every worker asks it during
// handshakes; reload() swaps the key material atomically (SIGHUP) and reports who is now revoked.
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

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/reason.h"
#include "kite/protocol/token.h"

namespace kite::server {

using Millis = std::int64_t;

// Services (backends on the binary protocol) authenticate as "service:<name>".
inline constexpr std::string_view kServicePrefix = "service:";

struct Credentials {
  std::vector<std::uint8_t> master_key;  // empty: no derived device keys
  std::unordered_map<std::string, protocol::DeviceKey> device_keys;   // listed keys win
  std::unordered_map<std::string, protocol::DeviceKey> service_keys;  // by service name
  std::vector<std::uint8_t> token_key;                                // empty: tokens refused
  std::unordered_set<std::string> revoked;
};

struct AdmissionLimits {
  std::uint32_t max_unauthenticated_per_ip = 64;
  Millis backoff_base_ms = 1000;  // after a failed attempt, that IP waits this long...
  Millis backoff_max_ms = 60000;  // ...doubling per further failure, up to this
};

class Authenticator {
 public:
  Authenticator(Credentials credentials, AdmissionLimits limits);

  // The key an Hmac device (or service) must prove; nullopt for an unknown one.
  std::optional<protocol::DeviceKey> key_for(std::string_view id) const;
  // Verifies a token for `device_id` at wall-clock `now_s`; fills the token's groups.
  protocol::Reason check_token(std::string_view token, std::string_view device_id,
                               std::uint64_t now_s, std::vector<std::string>& groups) const;
  bool revoked(std::string_view id) const;
  bool tokens_enabled() const;

  // Replaces the key material; returns the ids revoked now that were not before.
  std::vector<std::string> reload(Credentials credentials);

  // The opaque token a device presents to resume; binds the device id and the store epoch.
  std::vector<std::uint8_t> resume_token(std::string_view device_id, std::uint64_t epoch) const;

  // --- per-IP admission ----------------------------------------------------------------------
  // A new connection from `ip` before it authenticates: false (close it) over the cap or while
  // the IP is backing off after failures.
  bool admit(const std::string& ip, Millis now);
  // New admission limits (SIGHUP); they apply to the next connection and failure.
  void set_limits(const AdmissionLimits& limits);
  void authenticated_or_closed(const std::string& ip);  // ends an admit()
  void record_failure(const std::string& ip, Millis now);
  void record_success(const std::string& ip);

 private:
  struct IpState {
    std::uint32_t unauthenticated = 0;
    std::uint32_t failures = 0;
    Millis blocked_until = 0;
  };

  std::shared_ptr<const Credentials> credentials() const;

  mutable std::mutex credentials_mutex_;
  std::shared_ptr<const Credentials> credentials_;
  std::vector<std::uint8_t> resume_secret_;
  AdmissionLimits limits_;
  std::mutex ip_mutex_;
  std::unordered_map<std::string, IpState> ips_;
};

}  // namespace kite::server
