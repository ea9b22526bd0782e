// What the library reads from the peer's leaf certificate: its CRL name (issuer + serial) and the
// device id kited authenticates it as.
#pragma once

#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "kite/tls/certificate_id.h"
#include "kite/tls/settings.h"

namespace kite::tls::detail {

CertificateId certificate_id_of(X509* certificate);

// The id per `source` (see IdentitySource); empty when the certificate has none, or when the
// field is ambiguous (two CNs) or holds a NUL byte (a forged name that prints as another).
std::string identity_of(X509* certificate, IdentitySource source, std::string_view uri_prefix);

}  // namespace kite::tls::detail
