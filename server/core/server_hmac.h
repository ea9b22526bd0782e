// kited's HMAC-SHA256, on OpenSSL: the handshake's four HMACs per connection (device key, the
// client's proof, the server's proof, the resume token) with the SHA extensions of the CPU, where
// the device SDK's libsodium runs portable C. About 2.5 µs less per connection here, some 5 % of
// a connect (docs/benchmarks.md, issue 21). The device SDK keeps libsodium: smaller, no OpenSSL.
#pragma once

#include <span>

#include "kite/protocol/hmac.h"

namespace kite::server {

// The same function as protocol::hmac_sha256 (RFC 2104, any key length).
protocol::Mac openssl_hmac_sha256(std::span<const std::uint8_t> key,
                                  std::span<const std::uint8_t> data);

// Makes protocol::hmac_sha256 use it: once, at start, before any thread is started.
void install_server_hmac();

}  // namespace kite::server
