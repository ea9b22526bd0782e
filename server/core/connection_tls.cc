// The TLS half of Connection (connection.h): a TlsChannel between the socket and the session,
// the certificate checks of mutual TLS, and the plain-TCP counterparts of the output helpers.
//
// Rules it keeps:
//  - the session only ever sees plaintext and the socket only ciphertext: before the TLS
//    handshake is done (or after it failed) whatever the session writes is dropped, never sent
//    in the clear;
//  - a failed handshake is counted by tls::Failure, logged with the peer's IP at a limited rate
//    (strangers can cause it at will), and answered with the channel's alert before the close;
//  - the handshake deadline is the session's (auth.handshake_timeout_ms from accept): a client
//    that trickles its TLS handshake is cut off like one that trickles its hello.
#include <fmt/format.h>

#include "common/log.h"
#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {
namespace {

using kite::tls::Failure;
using kite::tls::TlsChannel;
using protocol::Reason;

// The session's close reason for a TLS failure (kite_handshake_failures_total{reason}).
Reason reason_for(Failure failure) {
  return failure == Failure::PeerCertificateRejected || failure == Failure::PeerCertificateMissing
             ? Reason::AuthFailed
             : Reason::UnexpectedMessage;
}

}  // namespace

void Connection::receive_tls(std::span<const std::uint8_t> ciphertext) {
  TlsChannel& channel = *tls_;
  const bool was_done = channel.handshake_done();
  channel.feed(ciphertext);
  if (!was_done && channel.handshake_done()) {
    on_tls_handshake_done();
    if (closing_) return;
  }
  auto& plaintext = worker_.tls_plaintext();
  plaintext.clear();
  channel.read_all(plaintext);
  if (!plaintext.empty()) {
    if (recorder_) record_uplink(plaintext);
    session_.receive(plaintext, now());
  }
  if (closing_) return;
  if (channel.failed()) return on_tls_failure();
  if (channel.state() == TlsChannel::State::Closed) {  // close_notify: the peer is done
    session_.receive_end(now());
    close_socket();
  }
}

void Connection::on_tls_handshake_done() {
  auto& metrics = worker_.metrics();
  (tls_->resumed() ? metrics.tls_handshakes_resumed : metrics.tls_handshakes_full).add();
  KITE_LOG(debug, "tls.handshake",
           {{"ip", ip_.text()},
            {"version", tls_->version()},
            {"cipher", tls_->cipher()},
            {"resumed", tls_->resumed()},
            {"certificate", tls_->peer_identity()}});
  // The handshake ran on the context of its accept; a SIGHUP since may have loaded a CRL that
  // revokes this certificate, and the reload's sweep skipped the connection (no certificate yet).
  auto newest = worker_.context().tls->context();
  if (newest && newest.get() != &tls_->context()) check_certificate(*newest);
}

void Connection::on_tls_failure() {
  const Failure failure = tls_->failure();
  if (!tls_->handshake_done()) {
    worker_.metrics().tls_handshake_failed[static_cast<std::size_t>(failure)].add();
    if (auto suppressed = worker_.context().tls->failure_log().admit())
      KITE_LOG(warn, "tls.handshake_failed",
               {{"ip", ip_.text()},
                {"failure", kite::tls::failure_name(failure)},
                {"reason", tls_->failure_reason()},
                {"suppressed", *suppressed}});
  } else {
    KITE_LOG(
        warn, "tls.failed",
        {{"device", session_.device_id()}, {"ip", ip_.text()}, {"reason", tls_->failure_reason()}});
  }
  // The session ends (releasing what it holds); flush() then sends the channel's alert, not the
  // session's Error frame, which cannot be encrypted any more.
  session_.close(reason_for(failure), tls_->failure_reason());
  close_socket();
}

std::string Connection::certificate_refusal(std::string_view id,
                                            protocol::AuthMethod method) const {
  const std::string* identity = tls_ ? &tls_->peer_identity() : nullptr;
  const bool has_certificate = identity && !identity->empty();
  const bool required = tls_ && tls_->context().settings().client_certificates ==
                                    kite::tls::ClientCertificates::Required;
  if (method != protocol::AuthMethod::Tls && !required) return {};
  if (method == protocol::AuthMethod::Tls && service_)
    return "services authenticate with their key";
  if (!has_certificate) return "no client certificate";
  // With client_cert = "required" a key or token alone is not enough: the certificate must name
  // the same device, so a stolen device key cannot be used from another device.
  if (*identity != id) return fmt::format("certificate is for device {}, not {}", *identity, id);
  return {};
}

void Connection::check_certificate(const kite::tls::TlsContext& context) {
  if (!tls_ || closing_ || !context.revoked(tls_->peer_certificate())) return;
  const auto& certificate = tls_->peer_certificate();
  KITE_LOG(warn, "tls.certificate_revoked",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"serial", certificate.serial},
            {"issuer", certificate.issuer}});
  worker_.metrics().tls_revoked_kicked.add();
  if (session_.is_open()) return kick(Reason::Revoked, 0, "client certificate revoked");
  session_.reject(Reason::Revoked, "client certificate revoked");  // mid-handshake
  after_session_call();
}

// ---------------------------------------------------------------------------------------------
// Output: the session's bytes as they are, or through the channel

std::span<const std::uint8_t> Connection::pending_output() {
  if (!tls_) {
    if (recorder_ && session_.has_output()) record_downlink(session_.output());
    return session_.output();
  }
  if (session_.has_output()) {
    if (tls_->state() == TlsChannel::State::Open) {
      if (recorder_) record_downlink(session_.output());
      tls_->write(session_.output());
    }
    session_.discard_output();  // sent encrypted, or not at all: never in the clear
  }
  if (closing_) tls_->close();  // close_notify after the last frame (once the handshake is done)
  auto& ciphertext = worker_.tls_ciphertext();
  ciphertext.clear();
  tls_->take_all_output(ciphertext);
  return ciphertext;
}

void Connection::take_pending_output(std::vector<std::uint8_t>& into) {
  if (!tls_) return session_.take_output(into);
  into = worker_.tls_ciphertext();
}

void Connection::discard_pending_output() {
  if (!tls_) session_.discard_output();
}

}  // namespace kite::server
