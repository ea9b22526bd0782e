// Bearer-token checks for the admin API (RFC 6750): "Authorization: Bearer <token>".
//
// Rules: the token is looked up in a TokenSet (token_set.h: constant-time, by SHA-256 digest).
// An empty set never matches: no token configured means no access, not open access.
//  - 401 with WWW-Authenticate when the token is missing, malformed or unknown, with
//    error="invalid_token" when one was sent. The answer never says how close a guess came.
//  - 403 with error="insufficient_scope" and scope="<scope>" when the token is known but lacks
//    the route's scope; the problem body names the scope and the token (the caller's own name
//    for it, never the secret).
#pragma once

#include <optional>
#include <string_view>

#include "http/message.h"
#include "http/token_set.h"

namespace kite::server::http {

// The token of "Bearer <token>" (scheme in any case), or nothing.
std::optional<std::string_view> bearer_token(const HttpRequest& request);

struct BearerCheck {
  const NamedToken* token = nullptr;    // the token presented, when it is known
  std::optional<HttpResponse> refusal;  // the 401 or 403 to answer instead of serving
};

// Whether `request` carries a token of `tokens` that has `scope`.
BearerCheck check_bearer(const HttpRequest& request, const TokenSet& tokens, Scope scope);

// The 401 problem response for a request whose token is missing or wrong.
HttpResponse unauthorized_response(const HttpRequest& request, std::string_view realm = "kite");
// The 403 problem response for a known token without `scope`.
HttpResponse forbidden_response(const NamedToken& token, Scope scope,
                                std::string_view realm = "kite");

}  // namespace kite::server::http
