// RFC 7807 problem details: every error the admin API answers is an application/problem+json
// body {type, title, status, detail, ...extra members}.
//
// Rules: type defaults to "about:blank", whose title is then the status's reason phrase (an empty
// title is filled in with it). detail is for humans and must not carry secrets or payloads. Extra
// members never overwrite the standard ones.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/message.h"

namespace kite::server::http {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

struct Problem {
  int status = 500;
  std::string title;  // empty: the reason phrase of status
  std::string detail;
  std::string type = "about:blank";
  nlohmann::json extra = nlohmann::json::object();  // more members, e.g. {"retry_after": 5}

  nlohmann::json to_json() const;
  HttpResponse to_response() const;
};

HttpResponse problem_response(int status, std::string_view title, std::string_view detail);

}  // namespace kite::server::http
