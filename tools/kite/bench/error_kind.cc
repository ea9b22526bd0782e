#include "bench/error_kind.h"

#include "kite/protocol/reason.h"

namespace kite::bench {

std::string close_kind(const BenchClient& client, const protocol::CloseInfo& info) {
  using protocol::Reason;
  switch (client.transport_failure()) {
    case TransportFailure::ConnectRefused:
      return "connect_refused";
    case TransportFailure::ConnectFailed:
      return "connect_failed";
    case TransportFailure::Tls:
      return "tls_failed";
    case TransportFailure::Lost:
      return "connection_lost";
    case TransportFailure::None:
      break;
  }
  const std::string name(protocol::reason_name(info.reason));
  if (info.by_peer) return (client.connected_once() ? "closed:" : "refused:") + name;
  if (info.reason == Reason::HandshakeTimeout) return "timeout:handshake";
  if (info.reason == Reason::KeepaliveTimeout) return "timeout:keepalive";
  return "protocol:" + name;
}

std::string error_frame_kind(protocol::Reason reason) {
  return "error:" + std::string(protocol::reason_name(reason));
}

}  // namespace kite::bench
