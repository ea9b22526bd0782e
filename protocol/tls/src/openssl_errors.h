// OpenSSL reports errors on a thread-local queue. Left there, one connection's error would be
// read as another's on the same thread, so whatever reads it also empties it.
#pragma once

#include <string>

namespace kite::tls::detail {

// OpenSSL's reason for the oldest error on the queue, the cause ("no start line"; the entries
// after it, such as "PEM lib", only say where it surfaced); empties the queue. Empty when the
// queue was empty.
std::string take_openssl_errors();

}  // namespace kite::tls::detail
