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
  int status = 0;          // the HTTP status; 0 when there was no answer (see `error`)
  nlohmann::json body;     // the answer parsed; discarded when it is not JSON
  std::string raw;         // the answer as received
  std::string error;       // status 0: what went wrong
  bool streaming = false;  // open_stream(): the body follows through read_stream()
  bool ok() const { return status >= 200 && status < 300; }
};

class ApiClient {
 public:
  explicit ApiClient(const ApiOptions& options);

  // `body`: sent as JSON when not null (invalid UTF-8 in it is replaced, never thrown).
  ApiAnswer call(std::string_view method, const std::string& path,
                 const nlohmann::json& body = nullptr);

  // An event stream (GET /v1/events): `headers` are extra "Name: value\r\n" lines. A 2xx
  // stream is left open for read_stream(); any other answer comes whole, as from call().
  ApiAnswer open_stream(const std::string& path, const std::string& headers);
  StreamRead read_stream(std::string& out, int wait_ms) { return http_.read_stream(out, wait_ms); }

  // How long connecting, sending or waiting for an answer may take (from --timeout at first): a
  // long-poll must be given its wait on top.
  void set_timeout_ms(int ms) { http_.set_timeout_ms(ms); }
  int timeout_ms() const { return timeout_ms_; }  // the one --timeout gave

  const std::string& url() const { return url_; }

 private:
  ApiAnswer answer_of(HttpAnswer http) const;

  std::string url_;
  int timeout_ms_;
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
