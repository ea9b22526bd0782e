#include "common/api_client.h"

#include <fmt/format.h>

#include <cctype>

#include "common/duration.h"

namespace kite::cli {

ApiClient::ApiClient(const ApiOptions& options)
    : url_(options.url),
      timeout_ms_(static_cast<int>(parse_duration_ms(options.timeout).value_or(30'000))),
      http_(options.url, options.token) {
  http_.set_timeout_ms(timeout_ms_);
}

ApiAnswer ApiClient::call(std::string_view method, const std::string& path,
                          const nlohmann::json& body) {
  const std::string text =
      body.is_null() ? std::string()
                     : body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return answer_of(http_.request(method, path, text));
}

ApiAnswer ApiClient::open_stream(const std::string& path, const std::string& headers) {
  return answer_of(http_.open_stream(path, headers));
}

ApiAnswer ApiClient::answer_of(HttpAnswer http) const {
  ApiAnswer answer;
  answer.status = http.status;
  answer.streaming = http.streaming;
  if (http.status == 0) {
    answer.error = std::move(http.body);
    return answer;
  }
  if (!http.streaming) answer.body = nlohmann::json::parse(http.body, nullptr, false);
  answer.raw = std::move(http.body);
  return answer;
}

std::string missing_token_problem(const ApiOptions& options) {
  if (!options.token.empty()) return {};
  return "no admin token: give --token or set KITE_ADMIN_TOKEN (kited's admin.token; in "
         "development mode the second line of data/development-secrets)";
}

std::string describe_failure(const ApiAnswer& answer, const std::string& url) {
  if (answer.status == 0)
    return fmt::format(
        "cannot reach kited's admin API at {}: {}. Check that kited is running and that --api "
        "(or KITE_API) names its server.admin_listen address.",
        url, answer.error);
  if (answer.status == 401)
    return "the admin API refused the token (401): check --token (or KITE_ADMIN_TOKEN) against "
           "kited's admin.token.";
  // Problem details (RFC 7807): the title says what, the detail says what to do.
  const auto& body = answer.body;
  if (body.is_object() && body.contains("title") && body["title"].is_string()) {
    std::string line = fmt::format("{} ({})", body["title"].get<std::string>(), answer.status);
    if (body.contains("detail") && body["detail"].is_string())
      line += ": " + body["detail"].get<std::string>();
    return line;
  }
  return fmt::format("the admin API answered {}: {}", answer.status, answer.raw.substr(0, 300));
}

ExitCode exit_code_for(const ApiAnswer& answer) {
  return answer.status == 0 || answer.status == 401 ? kExitUnreachable : kExitFailed;
}

std::string path_segment(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace kite::cli
