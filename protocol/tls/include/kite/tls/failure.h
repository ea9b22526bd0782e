// Why a TlsChannel failed, as a category for metrics and for the SDK's retry policy; the channel's
// failure_reason() gives the sentence for logs. One list generates the enum and its names.
#pragma once

#include <cstdint>
#include <string_view>

namespace kite::tls {

// X(name, printable name)
#define KITE_TLS_FAILURES(X)                                                                     \
  X(None, "none")                                                                                \
  /* The peer's first bytes are not a TLS record: a plaintext Kite client, HTTP, a scanner. */   \
  X(NotTls, "not TLS")                                                                           \
  /* Our check of the peer's certificate failed: expired, unknown CA, revoked, wrong name, no */ \
  /* device id in it. */                                                                         \
  X(PeerCertificateRejected, "peer certificate rejected")                                        \
  /* The server requires a client certificate and the client sent none. */                       \
  X(PeerCertificateMissing, "peer certificate missing")                                          \
  /* The peer aborted with an alert: it refused our certificate, our versions, ... */            \
  X(AlertReceived, "alert received")                                                             \
  /* Malformed, unexpected or undecryptable TLS data; no version or cipher in common. */         \
  X(Protocol, "protocol error")                                                                  \
  /* Local trouble: out of memory, an OpenSSL call that should not fail. */                      \
  X(Internal, "internal error")

enum class Failure : std::uint8_t {
#define KITE_TLS_FAILURE_ENUM(name, text) name,
  KITE_TLS_FAILURES(KITE_TLS_FAILURE_ENUM)
#undef KITE_TLS_FAILURE_ENUM
};

// "not TLS", "peer certificate rejected", ...
std::string_view failure_name(Failure failure);

}  // namespace kite::tls
