// Fuzzes what the admin API does with a request once it is parsed: routing, the bearer check and
// the JSON body rules of the send routes. The input is the bytes a client sends (parsed by
// http/request_parser.h, as kited does); every request that comes out goes through
//   - the router, holding the admin API's route shapes: a match binds every parameter to a
//     non-empty value; otherwise the answer is a 404, or a 405 with an Allow header;
//   - the bearer check against two tokens ("send" and "read" scopes): a known token is found
//     only when presented exactly, a refusal is a 401 or a 403 with WWW-Authenticate;
//   - the body rules of POST /v1/devices/{id}/messages, POST /v1/messages and PUT recording:
//     each accepts or names the problem; what it accepts holds to the documented limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "api/api_helpers.h"
#include "api/bulk_request.h"
#include "api/recording_request.h"
#include "fuzz_check.h"
#include "http/bearer.h"
#include "http/request_parser.h"
#include "http/router.h"

namespace {

using namespace kite::server;
using http::HttpRequest;
using http::HttpResponse;

constexpr std::string_view kSendToken = "fuzz-send-token-0123";
constexpr std::string_view kReadToken = "fuzz-read-token-4567";

const http::Router& router() {
  static const http::Router routes = [] {
    http::Router r;
    const auto none = [](const HttpRequest&, const http::RouteParams&, http::Responder) {};
    for (const char* pattern :
         {"/healthz", "/readyz", "/metrics", "/v1/devices", "/v1/devices/{id}",
          "/v1/devices/{id}/messages", "/v1/devices/{id}/commands/{name}",
          "/v1/devices/{id}/connection", "/v1/groups/{group}", "/v1/groups/{group}/members/{id}",
          "/v1/messages", "/v1/events", "/v1/recording"})
      r.add("GET", pattern, none);
    r.add("POST", "/v1/devices/{id}/messages", none);
    r.add("POST", "/v1/messages", none);
    r.add("PUT", "/v1/groups/{group}/members/{id}", none);
    r.add("DELETE", "/v1/groups/{group}/members/{id}", none);
    r.add("PUT", "/v1/recording", none);
    return r;
  }();
  return routes;
}

const http::TokenSet& tokens() {
  static const http::TokenSet set = [] {
    http::TokenSet s;
    s.add({"sender", http::token_digest(kSendToken), static_cast<std::uint8_t>(http::Scope::send)});
    s.add({"reader", http::token_digest(kReadToken), static_cast<std::uint8_t>(http::Scope::read)});
    return s;
  }();
  return set;
}

bool has_header(const HttpResponse& response, std::string_view lower_name) {
  for (const auto& [name, value] : response.headers)
    if (name.size() == lower_name.size() &&
        std::equal(name.begin(), name.end(), lower_name.begin(),
                   [](char a, char b) { return (a | 0x20) == b; }))
      return true;
  return false;
}

void check_route(const HttpRequest& request) {
  auto routed = router().route(request);
  if (auto* match = std::get_if<http::Router::Match>(&routed)) {
    KITE_FUZZ_CHECK(match->handler != nullptr);
    for (const char* name : {"id", "name", "group"})
      if (const std::string* value = match->params.find(name)) KITE_FUZZ_CHECK(!value->empty());
    return;
  }
  const HttpResponse& refusal = std::get<HttpResponse>(routed);
  KITE_FUZZ_CHECK(refusal.status == 404 || refusal.status == 405);
  if (refusal.status == 405) KITE_FUZZ_CHECK(has_header(refusal, "allow"));
}

void check_bearer(const HttpRequest& request) {
  const auto presented = http::bearer_token(request);
  if (presented) KITE_FUZZ_CHECK(!presented->empty() && presented->front() != ' ');
  for (http::Scope scope : {http::Scope::send, http::Scope::read, http::Scope::admin}) {
    const http::BearerCheck check = http::check_bearer(request, tokens(), scope);
    const bool known = presented && (*presented == kSendToken || *presented == kReadToken);
    KITE_FUZZ_CHECK((check.token != nullptr) == known);
    if (!check.refusal) {
      KITE_FUZZ_CHECK(check.token != nullptr && check.token->allows(scope));
      continue;
    }
    KITE_FUZZ_CHECK(check.refusal->status == (known ? 403 : 401));
    KITE_FUZZ_CHECK(has_header(*check.refusal, "www-authenticate"));
  }
}

void check_bodies(const HttpRequest& request) {
  AdminApiOptions options;
  options.max_payload = 1024;
  api::SendRequest send;
  if (api::parse_send(request.body, options, send).empty()) {
    KITE_FUZZ_CHECK(send.qos == 0 || send.qos == 1);
    KITE_FUZZ_CHECK(send.payload.size() <= options.max_payload);
  }
  const auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded()) {
    api::BulkRequest bulk;
    if (api::parse_bulk_request(body, options, bulk).empty()) {
      KITE_FUZZ_CHECK(!bulk.messages.empty() && bulk.messages.size() <= api::kMaxBatchMessages);
      KITE_FUZZ_CHECK(bulk.batch || bulk.messages.size() == 1);
      if (bulk.targets == api::BulkRequest::Targets::Devices)
        KITE_FUZZ_CHECK(!bulk.devices.empty() && bulk.devices.size() <= api::kMaxListTargets);
      for (const api::SendRequest& message : bulk.messages)
        KITE_FUZZ_CHECK(message.qos == 0 || message.qos == 1);
    }
  }
  api::RecordingChange change;
  (void)api::parse_recording_change(request.body, change);  // accepts or names the problem
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::RequestParser parser(http::ParserLimits{});
  auto result = parser.feed({reinterpret_cast<const char*>(data), size});
  for (const HttpRequest& request : result.requests) {
    check_route(request);
    check_bearer(request);
    check_bodies(request);
  }
  return 0;
}
