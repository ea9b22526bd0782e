// The kind each failure counts as in a run's ErrorTally, one vocabulary for every scenario:
//   connect_refused         nothing listens at --host:--port (ECONNREFUSED)
//   connect_failed          any other failure to open the TCP connection (no route, no local
//                           address or port left, too many open files...)
//   tls_failed              the TLS handshake failed (certificate, version)
//   refused:<Reason>        kited refused the handshake: refused:AuthFailed, refused:Revoked,
//                           refused:TooManyAttempts...
//   closed:<Reason>         kited ended an open session: closed:Replaced, closed:Kicked,
//                           closed:ServerShutdown...
//   connection_lost         the connection ended (reset, end of stream, a failed write) without
//                           kited saying why
//   timeout:handshake       no welcome within the bench's handshake time (30 s)
//   timeout:keepalive       kited silent for longer than the keep-alive allows
//   protocol:<Reason>       kited sent something this client cannot accept (protocol:InvalidBody)
//   error:<Reason>          an Error frame about one message or request, the session staying
//                           open: error:NotFound (p2p: an unknown target), error:QueueFull...
// Scenarios add their own: timeout:ack (uplink), http:<status> (fanout's admin API).
#pragma once

#include <string>

#include "raw_client/client_loop.h"

namespace kite::bench {

// Why `client` closed, as a kind above. Closes the bench asked for itself are not failures:
// scenarios do not count them.
std::string close_kind(const BenchClient& client, const protocol::CloseInfo& info);
// An Error frame that names one message or request (the session stays open).
std::string error_frame_kind(protocol::Reason reason);

}  // namespace kite::bench
