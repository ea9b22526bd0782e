// kited's admin HTTP API as the `kite` commands see it: reached as their options say
// (flags/api_flags.h), JSON in and out, and one way of telling the user what went wrong and which
// exit code that is.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "common/admin_http.h"
#include "common/exit_code.h"
#include "flags/api_flags.h"

namespace kite::cli {

struct ApiAnswer {
  int status = 0;       // the HTTP status; 0 when there was no answer (see `error`)
  nlohmann::json body;  // the answer parsed; discarded when it is not JSON
  std::string raw;      // the answer as received
  std::string error;    // status 0: what went wrong
  bool ok() const { return status >= 200 && status < 300; }
};

class ApiClient {
 public:
  explicit ApiClient(const ApiOptions& options);

  // `body`: sent as JSON when not null (invalid UTF-8 in it is replaced, never thrown).
  ApiAnswer call(std::string_view method, const std::string& path,
                 const nlohmann::json& body = nullptr);

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  AdminHttp http_;
};

// kite cannot work without a token: "" when there is one, else what to do (for stderr).
std::string missing_token_problem(const ApiOptions& options);

// One line for stderr saying what went wrong with an unsuccessful answer and what to check.
std::string describe_failure(const ApiAnswer& answer, const std::string& url);

// kExitUnreachable when there was no answer or the token was refused, else kExitFailed.
ExitCode exit_code_for(const ApiAnswer& answer);

// `text` percent-encoded for one path segment (a device id may hold '/', '?', spaces...). Every
// byte but A-Z a-z 0-9 - _ . ~ is escaped, so the result is a safe query value too ('&', '+').
std::string path_segment(std::string_view text);

}  // namespace kite::cli
