// Problem details; see problem.h.
#include "http/problem.h"

namespace kite::server::http {

nlohmann::json Problem::to_json() const {
  nlohmann::json body = extra.is_object() ? extra : nlohmann::json::object();
  body["type"] = type;
  body["title"] = title.empty() ? std::string(reason_phrase(status)) : title;
  body["status"] = status;
  body["detail"] = detail;
  return body;
}

HttpResponse Problem::to_response() const {
  // Invalid UTF-8 in a detail is replaced, never an exception on the error path.
  std::string body = to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return HttpResponse{status, {{"Content-Type", std::string(kProblemContentType)}}, body};
}

HttpResponse problem_response(int status, std::string_view title, std::string_view detail) {
  return Problem{status, std::string(title), std::string(detail)}.to_response();
}

}  // namespace kite::server::http
