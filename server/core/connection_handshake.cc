// Connection, the handshake: a hello checked against the back-off, certificates and
// credentials, the welcome that opens the session (after the revocation check), and what opening
// it sets in motion.
//
// Rules it keeps:
//  - whether an id is revoked is told only to a peer that has authenticated as it: before that,
//    every refusal looks alike, so the device port cannot be asked which ids are revoked;
//  - failed attempts are counted per (source, device id) when the handshake ends
//    (Connection::on_close), whatever refused them: a wrong HMAC proof as much as a bad token;
//  - refusals are logged at most about once a second after a burst of 20: strangers cause them.
#include "core/connection.h"

#include <algorithm>

#include "common/log.h"
#include "common/log_limiter.h"
#include "core/byte_views.h"
#include "core/plaintext_token.h"
#include "core/server_random.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

namespace {

log::Limiter& refusal_log() {
  static log::Limiter limiter{20, 1000};
  return limiter;
}

}  // namespace

void Connection::on_hello(const protocol::HelloInfo& hello) {
  auto& context = worker_.context();
  std::string_view id = hello.device_id;
  hello_ms_ = wall_clock_ms();
  if (recorder_) record_identified(id);  // refused hellos of a chosen device are recorded too
  if (context.auth->admission().backing_off(ip_.address(), id, wall_clock_ms()))
    return refuse(Reason::TooManyAttempts,
                  "too many failed attempts for this id from this address: wait, then retry");
  if (auto refusal = certificate_refusal(id, hello.method, peer_certificate()); !refusal.empty())
    return refuse(Reason::AuthFailed, refusal);
  resume_valid_ = resume_valid(id, hello.resume_token, hello.store_epoch, context.store->epoch(),
                               context.auth->resume_tokens(), wall_clock_ms());
  resume_last_received_ = hello.last_received_seq;

  switch (hello.method) {
    case protocol::AuthMethod::Hmac: {
      // An unknown id gets a challenge too (with a key nobody holds): failures look alike, so
      // the handshake does not reveal which device ids exist.
      protocol::DeviceKey key{};
      if (auto known = context.auth->key_for(id))
        key = *known;
      else
        server_random(key);
      protocol::Nonce nonce{};
      server_random(nonce);
      session_.challenge(key, nonce);
      return;
    }
    case protocol::AuthMethod::Token: {
      if (auto refusal = token_refusal(id); !refusal.empty())
        return refuse(Reason::AuthFailed, refusal);
      if (!wire_.is_tls() &&
          !admit_plaintext_token(context.options.token_over_plaintext, id, ip_.text()))
        return refuse(Reason::AuthFailed, kTokenOverPlaintextRefused);
      // Read before the check: a reload that changes the key in between ends this session.
      const std::uint64_t generation = context.auth->token_key_generation();
      const std::int64_t wall = wall_clock_ms();
      protocol::TokenClaims claims;
      Reason reason = context.auth->check_token(hello.token, id,
                                                static_cast<std::uint64_t>(wall / 1000), claims);
      if (reason != Reason::None) return refuse(reason, "token refused");
      // It lasts as long as the token (handshake_policy.h): its expiry, and its key's reloads.
      token_limit_ = TokenLimit::for_token(claims.expires_at_s, generation, wall, now());
      return welcome(std::move(claims.groups));
    }
    case protocol::AuthMethod::Tls:
      // certificate_refusal() found the certificate to name this very device.
      return welcome({});
    default:
      return refuse(Reason::AuthFailed, "unknown auth method");
  }
}

void Connection::on_authenticated(std::string_view) {
  welcome({});
}

void Connection::refuse(Reason reason, std::string_view message) {
  if (log::enabled(log::Level::warn)) {
    if (auto suppressed = refusal_log().admit())
      KITE_LOG(warn, "auth.refused",
               {{"device", session_.device_id()},
                {"ip", ip_.text()},
                {"reason", reason_name(reason)},
                {"detail", message},
                {"suppressed", *suppressed}});
  }
  session_.reject(reason, message);
}

void Connection::check_token_key(std::uint64_t generation) {
  if (token_limit_.ended_by(generation) && !lifecycle_.closing())
    kick(Reason::TokenExpired, 0, "the key that signed this token was replaced: get a new token");
}

// The hello is accepted: the role its id names takes over (peer_role.h), claims the route its
// peer is reached by, and fills the welcome.
void Connection::welcome(std::vector<std::string> groups) {
  auto& context = worker_.context();
  const std::string& device = session_.device_id();
  // Only now, with the peer proven to be `device`, may it learn that it is revoked. Checked
  // here for every method, and again after a reload that happened during the handshake (the
  // reload's kick reaches only sessions already open).
  if (context.auth->revoked(device)) return refuse(Reason::Revoked, "this device has been revoked");
  context.auth->admission().record_success(ip_.address(), device);
  lifecycle_.welcome();  // the role claims the route now: released in on_close()
  role_ = choose_role(*this, device, {resume_valid_, resume_last_received_});
  protocol::WelcomeParams params;
  params.store_epoch = context.store->epoch();
  if (!role_->welcome(std::move(groups), params))
    return refuse(Reason::Superseded,
                  "a connection this device opened later is in use: this handshake was given up");
  session_.accept(params, now());
}

void Connection::on_open(const protocol::OpenInfo& info) {
  auto& context = worker_.context();
  auto& metrics = worker_.metrics();
  metrics.handshakes_ok.add();
  if (info.resumed) metrics.resumed.add();
  if (lifecycle_.holds_admission()) {
    context.auth->admission().release(ip_.address());
    metrics.handshaking.sub();
  }
  lifecycle_.open();
  uplink_bucket_ =
      UplinkBucket(context.options.uplink_rate_per_s, context.options.uplink_burst, now());
  role_->on_open(info);
}

}  // namespace kite::server
