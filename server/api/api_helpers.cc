#include "api/api_helpers.h"

#include <cstdlib>

#include "common/log.h"
#include "common/log_limiter.h"
#include "core/authenticator.h"
#include "http/bearer.h"
#include "http/problem.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/device_id.h"
#include "kite/protocol/limits.h"

namespace kite::server::api {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  // Device ids and group names are bytes a peer chose: not always UTF-8. Replace what is not
  // (U+FFFD) rather than throw from the middle of an answer.
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

bool valid_device_id(std::string_view id) {
  return protocol::valid_device_id(id) && !id.starts_with(kServicePrefix);
}

bool valid_service_id(std::string_view id) {
  return id.starts_with(kServicePrefix) && valid_device_id(id.substr(kServicePrefix.size()));
}

bool optional_string(const json& body, const char* name, std::string& out, std::string& problem) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) {
    problem = std::string("\"") + name + "\" must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

std::string parse_send(const std::string& text, const AdminApiOptions& options, SendRequest& send) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return "the body is not valid JSON";
  if (!body.is_object()) return "the body must be a JSON object";
  return parse_send_fields(body, options, send);
}

namespace {

// "fallback_after_ms" (a delivery deadline: an `undelivered` event if the device has not acked by
// then) and "fallback" (what then happens to the message: "keep" it queued or "cancel" it).
std::string parse_fallback(const json& body, SendRequest& send) {
  if (auto it = body.find("fallback_after_ms"); it != body.end()) {
    if (!it->is_number_unsigned() || *it == 0 || it->get<std::uint64_t>() > 0xffffffffu)
      return "\"fallback_after_ms\" must be a whole number of milliseconds, 1 to 2^32-1";
    send.fallback_after_ms = it->get<std::uint64_t>();
  }
  if (auto it = body.find("fallback"); it != body.end()) {
    if (*it != "keep" && *it != "cancel") return "\"fallback\" must be \"keep\" or \"cancel\"";
    if (send.fallback_after_ms == 0) return "\"fallback\" needs \"fallback_after_ms\"";
    send.fallback_cancel = *it == "cancel";
  }
  if (send.fallback_after_ms != 0 && send.qos == 0)
    return "\"fallback_after_ms\" needs qos 1: a qos 0 message is never acknowledged";
  return {};
}

}  // namespace

std::string parse_send_fields(const json& body, const AdminApiOptions& options, SendRequest& send) {
  std::string problem;
  if (!optional_string(body, "topic", send.topic, problem) ||
      !optional_string(body, "content_type", send.content_type, problem) ||
      !optional_string(body, "key", send.key, problem) ||
      !optional_string(body, "idempotency_key", send.idempotency_key, problem))
    return problem;
  problem = read_payload(body, options, /*required=*/true, send.payload);
  if (!problem.empty()) return problem;
  if (auto it = body.find("qos"); it != body.end()) {
    if (!it->is_number_integer() || (*it != 0 && *it != 1)) return "\"qos\" must be 0 or 1";
    send.qos = it->get<int>();
  }
  send.ttl_ms = options.default_ttl_ms;
  if (auto it = body.find("ttl_ms"); it != body.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 0xffffffffu)
      return "\"ttl_ms\" must be a whole number of milliseconds below 2^32";
    send.ttl_ms = it->get<std::uint64_t>();
  }
  if (auto why = parse_fallback(body, send); !why.empty()) return why;
  if (send.topic.size() > protocol::limits::kTopic) return "\"topic\" is above 256 bytes";
  if (send.content_type.size() > protocol::limits::kContentType)
    return "\"content_type\" is above 64 bytes";
  if (send.key.size() > protocol::limits::kConflationKey) return "\"key\" is above 128 bytes";
  if (send.idempotency_key.size() > protocol::limits::kMessageId)
    return "\"idempotency_key\" is above 128 bytes";
  return {};
}

namespace {

constexpr std::size_t kLoggedPathBytes = 128;  // a path is the client's: log a bounded prefix

void log_denied(const HttpRequest& request, const http::BearerCheck& check, http::Scope scope) {
  static log::Limiter limiter(20, 1000);
  auto suppressed = limiter.admit();
  if (!suppressed) return;
  const std::string_view path = std::string_view(request.path).substr(0, kLoggedPathBytes);
  if (check.token != nullptr) {
    KITE_LOG(warn, "api.forbidden",
             {{"token", check.token->name},
              {"scope", http::scope_name(scope)},
              {"method", request.method},
              {"path", path},
              {"suppressed", *suppressed}});
  } else {
    KITE_LOG(warn, "api.unauthorized",
             {{"token", http::bearer_token(request) ? "unknown" : "missing"},
              {"method", request.method},
              {"path", path},
              {"suppressed", *suppressed}});
  }
}

}  // namespace

http::GuardedHandler authorized(const http::TokenSet* tokens, http::Scope scope,
                                http::Handler handler) {
  auto refusal = [tokens, scope](const HttpRequest& request) -> std::optional<HttpResponse> {
    static const http::TokenSet kNone;
    http::BearerCheck check = http::check_bearer(request, tokens ? *tokens : kNone, scope);
    if (check.refusal) log_denied(request, check, scope);
    return std::move(check.refusal);
  };
  auto guarded = [refusal, handler = std::move(handler)](const HttpRequest& request,
                                                         const http::RouteParams& params,
                                                         http::Responder responder) {
    if (auto answer = refusal(request)) return responder.respond(std::move(*answer));
    handler(request, params, std::move(responder));
  };
  return {refusal, guarded};
}

http::HttpResponse invalid_device_id_response() {
  return http::problem_response(400, "Invalid device id", std::string(protocol::kDeviceIdRule));
}

std::string read_payload(const json& body, const AdminApiOptions& options, bool required,
                         std::string& out) {
  std::string problem, payload64;
  if (!optional_string(body, "payload", out, problem) ||
      !optional_string(body, "payload_base64", payload64, problem))
    return problem;
  const bool text = body.contains("payload"), bytes = body.contains("payload_base64");
  if (required && text == bytes)
    return "give exactly one of \"payload\" (text) and \"payload_base64\" (bytes)";
  if (text && bytes) return "give at most one of \"payload\" (text) and \"payload_base64\" (bytes)";
  if (!payload64.empty()) {
    auto decoded = protocol::base64url_decode(payload64);
    if (!decoded) return "\"payload_base64\" is not base64url (RFC 4648 section 5, no padding)";
    out.assign(decoded->begin(), decoded->end());
  }
  if (out.size() > options.max_payload)
    return "the payload is " + std::to_string(out.size()) + " bytes; the limit is " +
           std::to_string(options.max_payload);
  return {};
}

std::string page_limit(const HttpRequest& request, std::size_t& limit) {
  limit = kDefaultPage;
  const std::string* text = request.query_param("limit");
  if (!text) return {};
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || value == 0 || value > kMaxPage)
    return "\"limit\" must be a whole number from 1 to 1000";
  limit = value;
  return {};
}

}  // namespace kite::server::api
