// What the admin API's route files share: JSON answers, the bearer check with scopes, device-id
// and page checks, and the parsing of a message body (the same fields for one device, a list or a
// group).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/router.h"
#include "http/token_set.h"

namespace kite::server {

struct AdminApiOptions {
  // The bearer tokens the routes check (each route names the scope it needs); owned by the admin
  // loop, outlives the router, may be replaced in place on SIGHUP. Null: every request is 401.
  const http::TokenSet* tokens = nullptr;
  std::uint32_t max_payload = 256 * 1024;
  std::uint64_t default_ttl_ms = 0;
};

namespace api {

inline constexpr std::size_t kDefaultPage = 100, kMaxPage = 1000;

http::HttpResponse json_response(int status, const nlohmann::json& body);
// kite/protocol/device_id.h's rule, and not a service id.
bool valid_device_id(std::string_view id);
// "service:NAME", NAME being what a device id may be: a service's connections, for the kick
// route.
bool valid_service_id(std::string_view id);
// Reads an optional string member; false (with `problem` set) when present with another type.
bool optional_string(const nlohmann::json& body, const char* name, std::string& out,
                     std::string& problem);

struct SendRequest {
  std::string payload, topic, content_type, key, idempotency_key;
  int qos = 1;
  std::uint64_t ttl_ms = 0;
  std::uint64_t fallback_after_ms = 0;  // 0: no delivery deadline
  bool fallback_cancel = false;         // "fallback": "cancel" (else "keep")
};
// Checks the message fields of a send body (already parsed as an object); "" when valid, else
// the problem detail.
std::string parse_send_fields(const nlohmann::json& body, const AdminApiOptions& options,
                              SendRequest& send);
// Parses a whole send body; "" when valid, else the problem detail.
std::string parse_send(const std::string& text, const AdminApiOptions& options, SendRequest& send);

// The answer to a path's device id that valid_device_id() refused.
http::HttpResponse invalid_device_id_response();
// Reads "payload" (text) or "payload_base64" (bytes) into `out`, checking the size against
// options.max_payload. `required`: exactly one must be given, else at most one. "" or the
// problem.
std::string read_payload(const nlohmann::json& body, const AdminApiOptions& options, bool required,
                         std::string& out);

// The `limit` query parameter (default kDefaultPage, 1..kMaxPage); "" or the problem.
std::string page_limit(const http::HttpRequest& request, std::size_t& limit);

// Wraps a handler with the bearer-token check for `scope` (401 or 403, see http/bearer.h). Denied
// requests are logged with the token's name (never its secret) and the path, escaped and cut
// short, a few lines a second at most. The same check guards the route's head: a request with a
// body is refused before its body is read (http/router.h).
http::GuardedHandler authorized(const http::TokenSet* tokens, http::Scope scope,
                                http::Handler handler);

}  // namespace api
}  // namespace kite::server
