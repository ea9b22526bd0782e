// Bearer-token checks for the admin API (RFC 6750): "Authorization: Bearer <token>".
//
// Rules: the comparison takes the same time whatever the tokens (both are hashed with SHA-256
// and the digests compared with CRYPTO_memcmp, so neither content nor length leaks). An empty
// expected token never matches: no token configured means no access, not open access. The 401
// answer carries WWW-Authenticate, with error="invalid_token" when a token was sent but is wrong.
#pragma once

#include <string_view>

#include "http/message.h"

namespace kite::server::http {

bool bearer_matches(const HttpRequest& request, std::string_view expected);

// The 401 problem response for a request whose token is missing or wrong.
HttpResponse unauthorized_response(const HttpRequest& request, std::string_view realm = "kite");

}  // namespace kite::server::http
