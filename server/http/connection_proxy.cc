// The PROXY protocol on the admin port: the header of a listed proxy read before any request,
// then the client it names passes the server's gate (common/peer_gate.h); a forged header from
// anyone else refused. See connection.h; the device port does the same in
// core/connection_proxy.cc.
//
// Rules it keeps:
//  - until the header is in, nothing is parsed or answered, and the gate has counted nothing;
//  - the header must be complete within admin.head_timeout_ms of accept (check_timeout());
//  - a refusal for the header (missing, malformed, late, forged) closes the connection without
//    an answer, counted and logged by the gate; LOCAL and UNKNOWN headers keep the socket's
//    address (the proxy's own health checks).
#include <uv.h>

#include "http/connection.h"
#include "http/http_server.h"

namespace kite::server::http {

void Connection::await_proxy_header(ProxyVersions versions, const IpAddress& socket_ip,
                                    int refusal) {
  socket_ip_ = socket_ip;
  proxy_header_ = std::make_unique<ProxyHeaderParser>(versions);
  refusal_after_header_ = refusal;
  proxy_deadline_ms_ = uv_now(server_.loop()) + server_.options().deadlines.head_timeout_ms;
  uv_tcp_nodelay(&tcp_, 1);
  update_reading();
}

void Connection::watch_for_forged_header(const IpAddress& socket_ip) {
  socket_ip_ = socket_ip;
  watching_forged_ = true;
}

std::optional<std::size_t> Connection::before_input(std::string_view bytes) {
  if (proxy_header_) return take_proxy_header(bytes);
  const std::span<const std::uint8_t> raw{reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                          bytes.size()};
  const auto verdict = forged_watch_.watch(raw);
  if (verdict == ProxySignatureWatch::Verdict::forged) {
    refuse_proxy(Refusal::untrusted_proxy_header,
                 "a PROXY header from an address not in proxy_from");
    return std::nullopt;
  }
  if (verdict == ProxySignatureWatch::Verdict::clear) watching_forged_ = false;
  return 0;
}

std::optional<std::size_t> Connection::take_proxy_header(std::string_view bytes) {
  const auto result =
      proxy_header_->feed({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  if (result.status == ProxyHeaderParser::Status::NeedMore) return std::nullopt;
  if (result.status == ProxyHeaderParser::Status::Error) {
    refuse_proxy(Refusal::proxy_header, result.error);
    return std::nullopt;
  }
  const ProxyHeader header = proxy_header_->header();
  proxy_header_.reset();
  const IpAddress client = header.proxied ? header.source.ip : socket_ip_;
  int refusal = refusal_after_header_;
  if (!server_.pass_gate(*this, client, refusal)) {
    close();  // an address the lists refuse is told nothing
    return std::nullopt;
  }
  start(refusal);
  if (refusal != 0 || closed_) return std::nullopt;  // answered 503 or 429: the rest is dropped
  return result.consumed;
}

void Connection::refuse_proxy(Refusal refusal, std::string_view detail) {
  proxy_header_.reset();
  watching_forged_ = false;
  if (server_.options().gate) server_.options().gate->refuse(socket_ip_, refusal, detail);
  close();
}

}  // namespace kite::server::http
