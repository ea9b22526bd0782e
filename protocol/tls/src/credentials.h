// Loading the files a TlsSettings names into an SSL_CTX, with errors that say which file and why.
// Each function returns an empty string on success, else the message for the operator.
#pragma once

#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "ossl_ptr.h"

namespace kite::tls::detail {

// The own certificate chain and its private key, checked to belong together.
std::string load_own_certificate(SSL_CTX* ctx, const std::string& chain_file,
                                 const std::string& key_file);

// CA certificates to verify the peer with. `advertise`: also send their names in the server's
// CertificateRequest, so a device holding several certificates picks the right one.
std::string load_trusted_cas(SSL_CTX* ctx, const std::string& ca_file, bool advertise);

// Every CRL in `crl_file` into the context's store (and `crls`), and turns on the CRL check of
// the peer's leaf certificate.
std::string load_crls(SSL_CTX* ctx, const std::string& crl_file, std::vector<X509CrlPtr>& crls);

}  // namespace kite::tls::detail
