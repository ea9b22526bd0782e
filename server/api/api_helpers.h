// What the admin API's route files share: JSON answers, the bearer check, device-id and page
// checks, and the parsing of a message body (the same fields for one device, a list or a group).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/router.h"

namespace kite::server {

struct AdminApiOptions {
  std::string token;  // bearer token every /v1 route requires
  std::uint32_t max_payload = 256 * 1024;
  std::uint32_t default_ttl_ms = 0;
};

namespace api {

inline constexpr std::size_t kDefaultPage = 100, kMaxPage = 1000;

http::HttpResponse json_response(int status, const nlohmann::json& body);
// 1-128 bytes, no control characters, not a service id.
bool valid_device_id(std::string_view id);
// Reads an optional string member; false (with `problem` set) when present with another type.
bool optional_string(const nlohmann::json& body, const char* name, std::string& out,
                     std::string& problem);

struct SendRequest {
  std::string payload, topic, content_type, key, idempotency_key;
  int qos = 1;
  std::uint32_t ttl_ms = 0;
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

// Wraps a handler with the bearer-token check.
http::Handler authorized(const std::string& token, http::Handler handler);

}  // namespace api
}  // namespace kite::server
