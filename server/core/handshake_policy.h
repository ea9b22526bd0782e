// The parts of the hello's answer that need no socket (Connection::on_hello,
// connection_handshake.cc): which certificate a hello needs, what a service may not use, whether a
// resume token holds, and how long a token session lasts. Each takes only the facts it decides
// on, so it is unit-tested without a worker, a loop or a TLS channel.
//
// Rules it keeps:
//  - services ("service:NAME") authenticate with their key: never with a certificate or a token,
//    and they never resume (they have no queue);
//  - with client_cert = "required" a key or token alone is not enough: the certificate must name
//    the same device, so a stolen device key cannot be used from another device;
//  - a token session ends at the token's expiry and when a reload replaces the key that signed it;
//    the expiry is wall-clock time, turned once into loop time so the timing wheel can hold it.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "core/resume_tokens.h"
#include "core/timing_wheel.h"
#include "kite/protocol/session_types.h"

namespace kite::server {

bool is_service_id(std::string_view id);

// What the listener knows of the peer's certificate; all false/empty on the plain listener.
struct PeerCertificate {
  bool tls = false;           // the connection came in on the TLS listener
  bool required = false;      // that listener has client_cert = "required"
  std::string_view identity;  // the device id its certificate names; empty: no certificate
};

// The certificate check of a hello (mutual TLS): "" when `id` may go on, else why not.
std::string certificate_refusal(std::string_view id, protocol::AuthMethod method,
                                const PeerCertificate& peer);

// "" when `id` may log in with a token, else why not.
std::string_view token_refusal(std::string_view id);

// What a device's hello asked to resume, kept from the hello to its welcome (DeviceRole).
struct ResumeClaim {
  bool valid = false;               // resume_valid(): its token holds
  std::uint64_t last_received = 0;  // the last downlink seq the device says it holds
};

// Whether the hello's resume token lets `id` resume at the store's `epoch`.
bool resume_valid(std::string_view id, std::span<const std::uint8_t> token,
                  std::uint64_t hello_epoch, std::uint64_t epoch, const ResumeTokens& tokens,
                  std::int64_t wall_ms);

// How long a session lasts because of its token; a session opened without one has no limit.
class TokenLimit {
 public:
  TokenLimit() = default;  // no token: no limit
  // `expires_at_s`: the token's expiry (wall clock, seconds); `generation`: of the key that was
  // current when it was checked; `wall_ms` and `now` read at the same moment.
  static TokenLimit for_token(std::uint64_t expires_at_s, std::uint64_t generation,
                              std::int64_t wall_ms, Millis now);

  // The loop time at which the token expires (Millis max: never).
  Millis deadline() const { return deadline_; }
  bool expired(Millis now) const { return now >= deadline_; }
  // The expiry was acted on (the session was told to go): no deadline any more.
  void clear_deadline() { deadline_ = std::numeric_limits<Millis>::max(); }
  // A reload made `key_generation` current: whether the key that signed the token is gone.
  bool ended_by(std::uint64_t key_generation) const {
    return token_ && generation_ < key_generation;
  }

 private:
  bool token_ = false;
  std::uint32_t generation_ = 0;
  Millis deadline_ = std::numeric_limits<Millis>::max();
};

}  // namespace kite::server
