// The wire half of Connection (connection.h): what it does with its WirePipe's news (the TLS
// handshake done or failed, close_notify, a WebSocket layer that ended, the plaintext for the
// recorder) and the certificate checks of mutual TLS.
//
// Rules it keeps:
//  - the session only ever sees plaintext and the socket only ciphertext: before the TLS
//    handshake is done (or after it failed) whatever the session writes is dropped, never sent
//    in the clear;
//  - a failed handshake is counted by tls::Failure, logged with the peer's IP at a limited rate
//    (strangers can cause it at will), and answered with the channel's alert before the close;
//  - the handshake deadline is the session's (auth.handshake_timeout_ms from accept): a client
//    that trickles its TLS handshake or its WebSocket upgrade is cut off like one that trickles
//    its hello;
//  - a WebSocket that ended (a refused upgrade, a broken framing rule, the peer's Close) is
//    answered by the layer, logged at a limited rate when it was a fault, and the session ends
//    as at an EOF.
#include "common/log.h"
#include "common/log_limiter.h"
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

// The pipe's news from a read: a failed channel closes with its alert, the peer's close_notify
// ends the session as an EOF would. Nothing to do once the connection is closing anyway.
void Connection::after_arrival(kite::tls::WirePipe::Arrival arrival) {
  using Arrival = kite::tls::WirePipe::Arrival;
  if (closing() || arrival == Arrival::Ok) return;
  if (arrival == Arrival::TlsFailed) return on_tls_failure();
  if (arrival == Arrival::LayerEnded) log_layer_end();
  session_.receive_end(now());  // close_notify, a WebSocket's end: the peer is done
  close_socket();
}

void Connection::log_layer_end() {
  const std::string why = wire_.layer()->why();
  // The peer's own goodbye, or an exchange that went as it should (a tunnel's POST): no fault.
  if (why.empty() || why.starts_with("the peer closed")) return;
  static log::Limiter limiter(20, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, "websocket.refused",
             {{"ip", ip_.text()}, {"detail", why}, {"suppressed", *suppressed}});
}

void Connection::on_plaintext_in(std::span<const std::uint8_t> plaintext) {
  if (recorder_) record_uplink(plaintext);
}

void Connection::on_plaintext_out(std::span<const std::uint8_t> plaintext) {
  if (recorder_) record_downlink(plaintext);
}

void Connection::on_tls_established() {
  const TlsChannel& channel = *tls();
  auto& metrics = worker_.metrics();
  (channel.resumed() ? metrics.tls_handshakes_resumed : metrics.tls_handshakes_full).add();
  KITE_LOG(debug, "tls.handshake",
           {{"ip", ip_.text()},
            {"version", channel.version()},
            {"cipher", channel.cipher()},
            {"resumed", channel.resumed()},
            {"certificate", channel.peer_identity()}});
  // The handshake ran on the context of its accept; a SIGHUP since may have loaded a CRL that
  // revokes this certificate, and the reload's sweep skipped the connection (no certificate yet).
  auto newest = worker_.context().tls->context();
  if (newest && newest.get() != &channel.context()) check_certificate(*newest);
}

void Connection::on_tls_failure() {
  const Failure failure = tls()->failure();
  if (!tls()->handshake_done()) {
    worker_.metrics().tls_handshake_failed[static_cast<std::size_t>(failure)].add();
    if (auto suppressed = worker_.context().tls->failure_log().admit())
      KITE_LOG(warn, "tls.handshake_failed",
               {{"ip", ip_.text()},
                {"failure", kite::tls::failure_name(failure)},
                {"reason", tls()->failure_reason()},
                {"suppressed", *suppressed}});
  } else {
    KITE_LOG(warn, "tls.failed",
             {{"device", session_.device_id()},
              {"ip", ip_.text()},
              {"reason", tls()->failure_reason()}});
  }
  // The session ends (releasing what it holds); flush() then sends the channel's alert, not the
  // session's Error frame, which cannot be encrypted any more.
  session_.close(reason_for(failure), tls()->failure_reason());
  close_socket();
}

PeerCertificate Connection::peer_certificate() const {
  const kite::tls::TlsChannel* channel = tls();
  if (!channel) return {};
  return {
      true,
      channel->context().settings().client_certificates == kite::tls::ClientCertificates::Required,
      channel->peer_identity()};
}

void Connection::check_certificate(const kite::tls::TlsContext& context) {
  if (!tls() || closing() || !context.revoked(tls()->peer_certificate())) return;
  const auto& certificate = tls()->peer_certificate();
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

}  // namespace kite::server
