#include "core/handshake_policy.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/authenticator.h"

namespace kite::server {

using protocol::AuthMethod;

bool is_service_id(std::string_view id) {
  return id.starts_with(kServicePrefix);
}

std::string certificate_refusal(std::string_view id, AuthMethod method,
                                const PeerCertificate& peer) {
  const bool required = peer.tls && peer.required;
  if (method != AuthMethod::Tls && !required) return {};
  if (method == AuthMethod::Tls && is_service_id(id)) return "services authenticate with their key";
  if (peer.identity.empty()) return "no client certificate";
  if (peer.identity != id)
    return fmt::format("certificate is for device {}, not {}", peer.identity, id);
  return {};
}

std::string_view token_refusal(std::string_view id) {
  return is_service_id(id) ? "services authenticate with their key" : "";
}

bool resume_valid(std::string_view id, std::span<const std::uint8_t> token,
                  std::uint64_t hello_epoch, std::uint64_t epoch, const ResumeTokens& tokens,
                  std::int64_t wall_ms) {
  return !is_service_id(id) && hello_epoch == epoch && tokens.valid(token, id, epoch, wall_ms);
}

TokenLimit TokenLimit::for_token(std::uint64_t expires_at_s, std::uint64_t generation,
                                 std::int64_t wall_ms, Millis now) {
  TokenLimit limit;
  limit.token_ = true;
  limit.generation_ = static_cast<std::uint32_t>(generation);
  // Seconds past what milliseconds can hold are "never" in practice: clamped, not wrapped.
  const auto expires_ms = static_cast<std::int64_t>(
      std::min<std::uint64_t>(expires_at_s, std::numeric_limits<std::int64_t>::max() / 1000) *
      1000);
  limit.deadline_ = now + std::max<std::int64_t>(expires_ms - wall_ms, 0);
  return limit;
}

}  // namespace kite::server
