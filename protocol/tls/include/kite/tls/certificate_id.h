// Names one certificate the way a CRL does: by its issuer and its serial number.
//
// TlsChannel::peer_certificate() gives the peer's; TlsContext::revoked() looks it up in the CRLs
// that context loaded. After a CRL reload kited builds a new TlsContext and asks it about every
// live connection's peer, so revocation takes effect without waiting for reconnects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kite::tls {

struct CertificateId {
  std::string serial;  // hex, upper case, as `openssl x509 -serial` prints it ("1A2B")
  std::string issuer;  // the issuer's name, RFC 2253 ("CN=Kite Device CA,O=Example"), for logs
  std::vector<std::uint8_t> issuer_der;  // the issuer's name, DER: what revoked() matches

  bool empty() const { return serial.empty(); }
};

}  // namespace kite::tls
