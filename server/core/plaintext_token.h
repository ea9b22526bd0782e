// Token logins on the plain (non-TLS) device listener.
//
// A token is a bearer credential: whoever reads it on the path can log in as the device until it
// expires, and with the Token method nothing proves kited to the device (no server proof, as the
// Hmac method has). So in production mode kited refuses Token hellos on the plain listener
// (AuthFailed, with a message naming the setting) unless auth.token_over_plaintext = true; where
// they are allowed (development mode, or that setting) each one is logged as a warning, limited
// like the other lines a peer can cause.
#pragma once

#include <string_view>

namespace kite::server {

inline constexpr std::string_view kTokenOverPlaintextRefused =
    "token logins need TLS: use the TLS listener, or set auth.token_over_plaintext = true";

// Whether a Token hello for `device` from `ip` on the plain listener may go on (`allowed`: the
// setting, true in development mode); logs the warning when it may.
bool admit_plaintext_token(bool allowed, std::string_view device, std::string_view ip);

}  // namespace kite::server
