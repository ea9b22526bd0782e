// Telling a TLS peer from a plaintext one by its first byte, before OpenSSL sees it. Every TLS
// connection opens with a handshake record (content type 22); a server may also answer a bad
// ClientHello with an alert record (21). Anything else is someone speaking another protocol: a
// device with TLS turned off sending a Kite frame, a browser, a port scanner. Saying so beats
// OpenSSL's "wrong version number".
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kite/tls/settings.h"

namespace kite::tls::detail {

// True when `first_byte` can open a TLS stream sent by a peer of the other role than `self`.
bool opens_tls_stream(std::uint8_t first_byte, Role self);

// "peer sent plaintext, not TLS (starts "GET / HTTP/1.1\r\n")", or with the first bytes in hex
// when they are not text. Peer bytes are escaped: the sentence is safe to log.
std::string describe_plaintext(std::span<const std::uint8_t> first_bytes);

}  // namespace kite::tls::detail
