// Bearer-token checks; see bearer.h.
#include "http/bearer.h"

#include <string>

#include "http/problem.h"

namespace kite::server::http {

std::optional<std::string_view> bearer_token(const HttpRequest& request) {
  const std::string* header = request.header("authorization");
  if (header == nullptr || header->size() < 7) return std::nullopt;
  std::string_view value(*header);
  for (std::size_t i = 0; i < 7; ++i)
    if ((value[i] | 0x20) != "bearer "[i]) return std::nullopt;
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

BearerCheck check_bearer(const HttpRequest& request, const TokenSet& tokens, Scope scope) {
  BearerCheck check;
  auto presented = bearer_token(request);
  if (presented) check.token = tokens.find(*presented);
  if (check.token == nullptr) {
    check.refusal = unauthorized_response(request);
  } else if (!check.token->allows(scope)) {
    check.refusal = forbidden_response(*check.token, scope);
  }
  return check;
}

HttpResponse unauthorized_response(const HttpRequest& request, std::string_view realm) {
  bool sent = bearer_token(request).has_value();
  std::string challenge = "Bearer realm=\"" + std::string(realm) + "\"";
  if (sent) challenge += ", error=\"invalid_token\"";
  HttpResponse response = problem_response(
      401, "", sent ? "the bearer token is not valid" : "a bearer token is required");
  response.headers.emplace_back("WWW-Authenticate", challenge);
  return response;
}

HttpResponse forbidden_response(const NamedToken& token, Scope scope, std::string_view realm) {
  const std::string name(scope_name(scope));
  Problem problem{403, "Insufficient scope",
                  "the token \"" + token.name + "\" does not have the \"" + name +
                      "\" scope this request needs"};
  problem.extra = {{"required_scope", name}, {"token", token.name}};
  HttpResponse response = problem.to_response();
  response.headers.emplace_back("WWW-Authenticate",
                                "Bearer realm=\"" + std::string(realm) +
                                    "\", error=\"insufficient_scope\", scope=\"" + name + "\"");
  return response;
}

}  // namespace kite::server::http
