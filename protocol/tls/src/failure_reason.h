// Why an OpenSSL call failed, as a category and a sentence an operator can act on: "client
// certificate rejected: certificate has expired" rather than "certificate verify failed".
#pragma once

#include <string>

#include <openssl/ssl.h>

#include "kite/tls/failure.h"

namespace kite::tls::detail {

struct FailureText {
  Failure failure = Failure::None;
  std::string reason;
};

// For a call on `ssl` that failed with SSL_get_error() == `ssl_error`: reads the thread's error
// queue (and empties it) and the peer verification result.
FailureText describe_ssl_failure(SSL* ssl, int ssl_error);

}  // namespace kite::tls::detail
