// Connection, the PROXY protocol (common/proxy_header.h, proxy_policy.h): a listed proxy's
// header first, then the client it names is admitted; anyone else's first bytes watched for a
// header it has no right to send.
//
// Rules it keeps:
//  - a listed proxy's connection is not admitted at accept: the port's address lists, its per-IP
//    cap and the unauthenticated cap see the client from the header, once it is read
//    (admit_peer()). Until then the connection holds nothing (stage Accepted) and the session
//    reads nothing;
//  - the header has the handshake's deadline (auth.handshake_timeout_ms from accept, the
//    session's own): a proxy, or someone on its address, that trickles a header is cut off;
//  - refused for its header (missing, malformed, late, or sent by a peer not in proxy_from):
//    closed without a word, counted as kite_connections_refused_total{reason} and logged at a
//    limited rate by the port's gate;
//  - LOCAL, UNKNOWN and UNSPEC headers (a proxy's health check) keep the socket's address;
//  - whatever follows the header in the same read (a TLS ClientHello, a Kite hello) goes to the
//    wire unchanged (on_read() in connection.cc).
#include <uv.h>

#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;

bool Connection::await_proxy_header(ProxyVersions versions) {
  proxy_header_ = std::make_unique<ProxyHeaderParser>(versions);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  after_session_call();  // schedules the session's handshake deadline, the header's too
  return true;
}

std::optional<std::size_t> Connection::before_wire(std::span<const std::uint8_t> bytes) {
  if (proxy_header_) return take_proxy_header(bytes);
  // A peer that is not a listed proxy: its bytes go on as they are, unless they forge a header.
  const auto verdict = forged_watch_.watch(bytes);
  if (verdict == ProxySignatureWatch::Verdict::forged) {
    refuse_proxy(Refusal::untrusted_proxy_header,
                 "a PROXY header from an address not in proxy_from");
    return std::nullopt;
  }
  if (verdict == ProxySignatureWatch::Verdict::clear) watching_forged_ = false;
  return 0;
}

std::optional<std::size_t> Connection::take_proxy_header(std::span<const std::uint8_t> bytes) {
  const ProxyHeaderParser::Result result = proxy_header_->feed(bytes);
  if (result.status == ProxyHeaderParser::Status::NeedMore) return std::nullopt;
  if (result.status == ProxyHeaderParser::Status::Error) {
    refuse_proxy(Refusal::proxy_header, result.error);
    return std::nullopt;
  }
  const ProxyHeader header = proxy_header_->header();
  proxy_header_.reset();  // 1 KiB, for the header only
  if (header.proxied) {
    ip_ = PeerIp::from(header.source.ip);
    proxied_port_ = header.source.port;
  }
  if (!admit_peer()) return std::nullopt;
  return result.consumed;
}

void Connection::refuse_proxy(Refusal refusal, std::string_view detail) {
  worker_.context().device_gate->refuse(ip_.address(), refusal, detail);
  proxy_header_.reset();
  watching_forged_ = false;
  const bool admitted = lifecycle_.stage() != ConnectionLifecycle::Stage::Accepted;
  close_socket();  // first: nothing the session says below reaches the peer
  if (admitted) {
    // A watched peer was admitted at accept: its session ends too (counted, releasing what it
    // holds), and what it would have said is dropped, so the forger is told nothing.
    session_.close(Reason::UnexpectedMessage, detail);
    session_.discard_output();
  }
}

bool Connection::proxy_header_late() {
  if (now() < session_.next_deadline()) return false;
  refuse_proxy(Refusal::proxy_header, "no complete PROXY header within auth.handshake_timeout_ms");
  return true;
}

void Connection::proxy_header_cut_off() {
  // A proxy that connects and closes at once (a plain TCP health check) is not refused;
  // one that stops inside a header is.
  if (proxy_header_->buffered() == 0) return;
  worker_.context().device_gate->refuse(ip_.address(), Refusal::proxy_header,
                                        "the connection ended inside the PROXY header");
}

}  // namespace kite::server
