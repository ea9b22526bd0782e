// The pieces of the RFC 6455 opening handshake both ends share: the key and its accept value,
// and the header-token rules (case-insensitive, comma-separated lists).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kite::websocket {

// The one subprotocol kited speaks: Kite frames in binary messages.
inline constexpr std::string_view kSubprotocol = "kite.v1";

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)). SHA-1 is
// OpenSSL's: built without it (kite_websocket_none, for a device SDK without OpenSSL) there is
// none, accept_key() answers "" and accept_key_available() false.
std::string accept_key(std::string_view key);
bool accept_key_available();
// A fresh Sec-WebSocket-Key: base64 of 16 random bytes.
std::string new_key();
std::string base64(std::span<const std::uint8_t> bytes);  // the standard alphabet, padded
// True if `key` is base64 of exactly 16 bytes (24 characters, "==" at the end).
bool valid_key(std::string_view key);
// "Basic <base64(user:password)>", for Authorization and Proxy-Authorization (RFC 7617).
std::string basic_authorization(std::string_view user, std::string_view password);
// Whether a comma-separated header value lists `token`, compared without case.
bool lists_token(std::string_view value, std::string_view token);

}  // namespace kite::websocket
