// How a context checks its peer: whether it asks for a certificate, which name the server's must
// carry, and the server's extra rule that a client certificate must carry a device id.
#pragma once

#include <string>

#include <openssl/ssl.h>

#include "kite/tls/settings.h"

namespace kite::tls::detail {

// Sets the verify mode and callback, and on the client the expected server name. Empty string on
// success, else the message.
std::string configure_verification(SSL_CTX* ctx, const TlsSettings& settings);

// The verify error the callback sets for a client certificate without a device id.
inline constexpr int kNoDeviceIdError = X509_V_ERR_APPLICATION_VERIFICATION;

}  // namespace kite::tls::detail
